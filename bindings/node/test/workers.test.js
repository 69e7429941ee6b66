'use strict'
// The addon loads and parses in worker threads at once, with identical results.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const { FIXTURES, minified } = require('./helpers')

const job = `
  const { parentPort, workerData } = require('node:worker_threads')
  const fs = require('node:fs')
  const kohi = require(workerData.addon)
  const out = []
  for (let i = 0; i < 50; i++) {
    const name = workerData.files[i % workerData.files.length]
    out.push([name, kohi.parse(fs.readFileSync(workerData.dir + '/' + name)).toJsonString()])
  }
  try { kohi.parse(42) } catch (e) { out.push(['bad', e instanceof Error ? 'typed' : 'untyped']) }
  parentPort.postMessage(out)
`

test('four workers parse concurrently', async () => {
  const files = ['face_pmh_two.xml', 'pmh_overflow.xml', 'insured_card_sjis.xml', 'bulk_three_units.xml']
  const workerData = { addon: path.join(__dirname, '..'), dir: FIXTURES, files }
  const results = await Promise.all(
    [0, 1, 2, 3].map(() => new Promise((resolve, reject) => {
      const worker = new Worker(job, { eval: true, workerData })
      worker.once('message', resolve)
      worker.once('error', reject)
    })),
  )
  for (const out of results) {
    assert.equal(out.length, 51)
    for (const [name, json] of out.slice(0, 50)) {
      assert.equal(json, minified(path.join(FIXTURES, name.replace('.xml', '.expected.json'))))
    }
    assert.deepEqual(out[50], ['bad', 'typed'])
  }
})

'use strict'
// kohi.watch against a simulated terminal: each file once, never partial, nothing again after a restart.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const kohi = require('..')
const { FIXTURES, minified } = require('./helpers')

const FAST = { settle: 80, pollInterval: 100, giveUpAfter: 600 }
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function terminal() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kohi-watch-'))
  for (const folder of ['req', 'res', 'face']) fs.mkdirSync(path.join(root, folder))
  return root
}

async function collect(watcher, count, quietMs, limitMs) {
  const events = []
  const deadline = Date.now() + limitMs
  while (Date.now() < deadline) {
    const event = await watcher.next(events.length >= count ? quietMs : 200)
    if (event) events.push(event)
    else if (events.length >= count) break
  }
  return events
}

test('slow writes, a burst and a rejection are each reported once; a restart reports nothing', async () => {
  const root = terminal()
  const watcher = kohi.watch(root, FAST)
  const data = fs.readFileSync(path.join(FIXTURES, 'face_pmh_two.xml'))
  const writing = (async () => {
    const face = path.join(root, 'face', 'OQSsiquc01res_face_a_1.xml')
    fs.writeFileSync(face, data.subarray(0, data.length / 2))
    await sleep(300) // longer than `settle`: the half file must not be reported
    fs.appendFileSync(face, data.subarray(data.length / 2))
    for (let i = 0; i < 50; i++) {
      fs.copyFileSync(path.join(FIXTURES, 'pmh_overflow.xml'), path.join(root, 'res', `OQSsiquc01res_${String(i).padStart(4, '0')}.xml`))
    }
    fs.writeFileSync(path.join(root, 'res', 'OQSsiquc01req_9999.xml'), '<XmlMsg/>')
    fs.writeFileSync(path.join(root, 'res', 'OQSsiquc01req_9999.err'), 'E001')
  })()
  const events = await collect(watcher, 52, 800, 20000)
  await writing
  assert.equal(events.length, 52)
  assert.equal(new Set(events.map((e) => e.path)).size, 52)
  const [face] = events.filter((e) => e.kind === 'face')
  assert.equal(face.result.toJsonString(), minified(path.join(FIXTURES, 'face_pmh_two.expected.json')))
  const results = events.filter((e) => e.kind === 'result')
  for (const e of results) assert.equal(e.result.toJsonString(), minified(path.join(FIXTURES, 'pmh_overflow.expected.json')))
  assert.ok(results[0].request.endsWith(path.join('req', 'OQSsiquc01req_0000.xml')))
  const [rejected] = events.filter((e) => e.kind === 'rejected')
  assert.equal(rejected.message, 'E001')
  assert.equal(rejected.result, null)

  const again = kohi.watch(root, FAST)
  assert.equal(await again.next(700), null)
  fs.rmSync(root, { recursive: true })
})

test('for await yields events; a broken file arrives with its error', async () => {
  const root = terminal()
  fs.writeFileSync(path.join(root, 'res', 'OQSsiquc01res_0001.xml'), '<XmlMsg><MessageBody>')
  for await (const event of kohi.watch(root, FAST)) {
    assert.equal(event.result, null)
    assert.equal(event.error.code, 'malformed_xml')
    break
  }
  fs.rmSync(root, { recursive: true })
})

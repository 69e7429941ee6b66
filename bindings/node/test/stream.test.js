'use strict'
// stream() yields the same patients as parse(), one at a time.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const kohi = require('..')
const { FIXTURES } = require('./helpers')

test('streamed patients equal the whole parse', async () => {
  const file = path.join(FIXTURES, 'bulk_three_units.xml')
  const whole = kohi.parse(fs.readFileSync(file)).patients
  const streamed = []
  for await (const patient of kohi.stream(file)) streamed.push(patient)
  assert.deepEqual(streamed.map((p) => p.referenceNumber), whole.map((p) => p.referenceNumber))
  assert.deepEqual(streamed.map((p) => p.kohi.map((k) => k.payerNumber)), whole.map((p) => p.kohi.map((k) => k.payerNumber)))
})

test('stream errors are typed', async () => {
  const s = kohi.stream(path.join(FIXTURES, 'error_truncated.xml'))
  await assert.rejects(s.next(), (e) => e.code === 'malformed_xml')
  assert.throws(() => kohi.stream(path.join(FIXTURES, 'missing.xml')), (e) => e.code === 'ENOENT' && e.kohiCode === 'io')
})

'use strict'
// A result holds its document outside V8's heap. V8 must know how much, or a loop that parses
// and drops results (little JS garbage of its own) keeps every document until the JS heap
// fills for other reasons: 200 parses of this file were all still held, 594 MB resident.
const test = require('node:test')
const assert = require('node:assert/strict')
const kohi = require('..')
const fs = require('node:fs')
const path = require('node:path')
const { FIXTURES } = require('./helpers')

const unit = (i) =>
  `<BulkConfirmUnit><ReferenceNumber>${i}</ReferenceNumber><ProcessingResultStatus>1</ProcessingResultStatus>` +
  '<ResultList><ResultOfQualificationConfirmation><InsuredCardClassification>01</InsuredCardClassification>' +
  '<InsurerNumber>06139999</InsurerNumber></ResultOfQualificationConfirmation></ResultList></BulkConfirmUnit>'

test('results dropped in a loop are collected by the memory their documents hold', async () => {
  const units = Array.from({ length: 2000 }, (_, i) => unit(i)).join('')
  const xml = Buffer.from(`<XmlMsg><MessageHeader></MessageHeader><MessageBody>${units}</MessageBody></XmlMsg>`)
  let collected = 0
  const registry = new FinalizationRegistry(() => collected++)
  const parses = 200
  for (let i = 0; i < parses; i++) {
    const result = kohi.parse(xml)
    if (i === 0) assert.equal(result.patients.length, 2000)
    registry.register(result, i)
    // Finalizers run from the event loop, as between an application's files.
    await new Promise((resolve) => setImmediate(resolve))
  }
  // Each document holds about 2 MB: V8 collects every few dozen parses once it knows.
  assert.ok(collected >= parses / 2, `${collected} of ${parses} results collected`)
})

// Node runs the finalizers that free documents only when the event loop turns: a synchronous
// loop over files (readFileSync + parse, as a script or a batch job writes it) held every
// document it parsed until the loop returned, however many (8 parses of a 100,000-unit file:
// 1.3 GB resident, growing by each document's 135 MB). `close()` frees one at once.
test('close() frees the document at once, without waiting for the event loop', () => {
  const units = Array.from({ length: 20000 }, (_, i) => unit(i)).join('')
  const xml = Buffer.from(`<XmlMsg><MessageHeader></MessageHeader><MessageBody>${units}</MessageBody></XmlMsg>`)
  const first = kohi.parse(xml, { maxSize: 1 << 30 })
  assert.equal(first.patients.length, 20000)
  first.close()
  const before = process.memoryUsage().rss
  const parses = 30
  for (let i = 0; i < parses; i++) {
    const result = kohi.parse(xml, { maxSize: 1 << 30 })
    assert.equal(result.patients[19999].referenceNumber, '19999')
    result.close()
  }
  // Each document holds about 20 MB (kohi's model of 20,000 units): held until the loop
  // returned, the 30 would be 600 MB; freed at once, the memory is reused.
  const grown = (process.memoryUsage().rss - before) / 2 ** 20
  assert.ok(grown < 150, `resident memory grew by ${grown.toFixed(0)} MB over ${parses} closed results`)
})

test('a closed result and its patients throw a typed error, never read as empty', () => {
  const result = kohi.parse(fs.readFileSync(path.join(FIXTURES, 'face_pmh_two.xml')))
  const [patient] = result.patients
  assert.equal(patient.kohi.length, 2)
  result.close()
  result.close() // a second close does nothing
  const closed = (e) => e.code === 'closed' && e.kohiCode === 'closed' && /closed/.test(e.message)
  assert.throws(() => result.patients, closed)
  assert.throws(() => patient.kohi, closed)
  assert.throws(() => patient.pmh, closed)
  assert.throws(() => patient.qualifications, closed)
  assert.throws(() => result.encoding, closed)
  assert.throws(() => result.header, closed)
  assert.throws(() => result.warnings, closed)
  assert.throws(() => result.toJSON(), closed)
  assert.throws(() => result.toJsonString(), closed)
  assert.throws(() => JSON.stringify(result), closed)
  assert.throws(() => kohi.reconcile([], patient, '2025-06-04'), closed)
  // A bulk result's patient with no 公費, and one whose block of 公費 was read before, are
  // answered without the addon: closed, they throw too.
  const bulk = kohi.parse(fs.readFileSync(path.join(FIXTURES, 'bulk_three_units.xml')))
  const units = bulk.patients
  const withKohi = units.findIndex((p) => p.kohi.length > 0)
  const without = units.findIndex((p) => p.kohi.length === 0)
  assert.ok(withKohi >= 0 && without >= 0, 'the fixture has patients with and without 公費')
  bulk.close()
  assert.throws(() => units[withKohi].kohi, closed)
  assert.throws(() => units[without].kohi, closed)
  // `Symbol.dispose` is `close()` (for `using`, where the runtime has it).
  const other = kohi.parse(fs.readFileSync(path.join(FIXTURES, 'face_pmh_two.xml')))
  other[Symbol.dispose]()
  assert.throws(() => other.patients, closed)
})

// src/allocator.rs: mimalloc gave freed memory back a second after the first free of a sweep,
// all of it, and Node's batched frees then faulted it in again on the next parses (106–300 µs
// of system time a 1,000-unit parse). The addon waits ten seconds, unless the host process
// chose its own delay. The variables reaching the value read back also show that the option
// the addon sets is the one they name.
test('freed memory goes back after ten seconds, unless the host process sets the delay', () => {
  const { spawnSync } = require('node:child_process')
  const delayIn = (env) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^mimalloc_(purge|reset)_delay$/i.test(name)))
    const script = `process.stdout.write(String(require(${JSON.stringify(path.join(__dirname, '..', 'binding.js'))}).purgeDelay()))`
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...clean, ...env } })
    assert.equal(run.status, 0, run.stderr)
    return Number(run.stdout)
  }
  assert.equal(delayIn({}), 10000)
  assert.equal(delayIn({ MIMALLOC_PURGE_DELAY: '1234' }), 1234)
  assert.equal(delayIn({ MIMALLOC_RESET_DELAY: '77' }), 77)
  assert.equal(delayIn({ MIMALLOC_PURGE_DELAY: '-1' }), -1)
  // mimalloc reads its variables by name in any case, so the addon does too.
  assert.equal(delayIn({ mimalloc_purge_delay: '500' }), 500)
})

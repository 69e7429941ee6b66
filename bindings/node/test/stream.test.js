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

test('a streamed patient (one of its batch) reconciles as the same patient parsed whole', async () => {
  const file = path.join(FIXTURES, 'bulk_three_units.xml')
  const whole = kohi.parse(fs.readFileSync(file)).patients
  const streamed = []
  for await (const patient of kohi.stream(file)) streamed.push(patient)
  const changes = (p) => kohi.reconcile([], p, '2025-06-04').map((c) => [c.change, c.kohi.payer_number])
  assert.deepEqual(streamed.map(changes), whole.map(changes))
  assert.equal(changes(streamed[2]).length > 0, true)
})

test('next() called again before the last resolved: patients in file order, then done', async () => {
  const it = kohi.stream(path.join(FIXTURES, 'bulk_three_units.xml'))[Symbol.asyncIterator]()
  const got = await Promise.all([it.next(), it.next(), it.next(), it.next(), it.next()])
  assert.deepEqual(got.map((r) => (r.done ? 'done' : r.value.referenceNumber)), ['1001', '1002', '1003', 'done', 'done'])
  assert.deepEqual(await it.return(), { value: undefined, done: true })
})

test('the Web API JSON form streams like its XML', async () => {
  const streamed = []
  for await (const patient of kohi.stream(path.join(FIXTURES, 'webapi', 'face_pmh_two.json'))) streamed.push(patient)
  assert.equal(streamed.length, 1)
  assert.deepEqual(streamed[0].kohi.map((k) => k.payerNumber), ['52136017', '88131016'])
  const [expected] = kohi.parse(fs.readFileSync(path.join(FIXTURES, 'face_pmh_two.xml'))).patients
  assert.deepEqual([streamed[0].pmh, streamed[0].kohi], [expected.pmh, expected.kohi])
})

test('stream errors are typed', async () => {
  const s = kohi.stream(path.join(FIXTURES, 'error_truncated.xml'))
  await assert.rejects(s.next(), (e) => e.code === 'malformed_xml')
  assert.throws(() => kohi.stream(path.join(FIXTURES, 'missing.xml')), (e) => e.code === 'ENOENT' && e.kohiCode === 'io')
})

// A bulk file of `units` patients, then (when `broken`) a unit cut off mid-element.
function bulkFile(units, broken) {
  const unit = (i) => `<BulkConfirmUnit><ReferenceNumber>${i}</ReferenceNumber><ProcessingResultStatus>1</ProcessingResultStatus></BulkConfirmUnit>`
  const body = Array.from({ length: units }, (_, i) => unit(i)).join('') + (broken ? '<BulkConfirmUnit><Refer' : '</MessageBody></XmlMsg>')
  const file = path.join(fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'kohi-batch-')), 'bulk.xml')
  fs.writeFileSync(file, `<XmlMsg><MessageHeader><ProcessExecutionTime>20250604101544</ProcessExecutionTime></MessageHeader><MessageBody>${body}`)
  return file
}

test('nextBatch reads up to max patients per trip, then an empty array', async () => {
  const s = kohi.stream(bulkFile(600, false))
  const sizes = []
  for (let batch = await s.nextBatch(256); batch.length > 0; batch = await s.nextBatch(256)) sizes.push(batch.length)
  assert.deepEqual(sizes, [256, 256, 88])
  assert.deepEqual(await s.nextBatch(), [])
  assert.throws(() => s.nextBatch(0), (e) => e.code === 'invalid_setting')
  assert.throws(() => s.nextBatch(1025), (e) => e.code === 'invalid_setting')
})

test('for await yields every patient before an error met inside a batch, then throws it', async () => {
  const seen = []
  await assert.rejects(async () => {
    for await (const patient of kohi.stream(bulkFile(300, true))) seen.push(patient.referenceNumber)
  }, (e) => e.code === 'malformed_xml')
  assert.equal(seen.length, 300)
  assert.equal(seen[299], '299')
})

test('for await reads the next batch while the loop handles this one, in file order', async () => {
  const s = kohi.stream(bulkFile(600, false))
  const READ_BATCH = Symbol.for('kohi.PatientStream.readBatch')
  const read = s[READ_BATCH]
  let reads = 0
  s[READ_BATCH] = function (max) {
    reads++
    return read.call(this, max)
  }
  const seen = []
  const readsAtFirst = []
  for await (const patient of s) {
    if (seen.length % 256 === 0) readsAtFirst.push(reads)
    seen.push(patient.referenceNumber)
  }
  // At the first patient of each batch, the following batch is already being read.
  assert.deepEqual(readsAtFirst, [2, 3, 4])
  assert.equal(reads, 4)
  assert.deepEqual(seen, Array.from({ length: 600 }, (_, i) => String(i)))
})

test('leaving a loop drops nothing: next(), nextBatch() and another loop go on where it stopped', async () => {
  const s = kohi.stream(bulkFile(600, false))
  const seen = []
  for await (const patient of s) {
    seen.push(patient.referenceNumber)
    if (seen.length === 10) break
  }
  seen.push((await s.next()).referenceNumber)
  seen.push(...(await s.nextBatch(5)).map((p) => p.referenceNumber))
  for await (const patient of s) {
    seen.push(patient.referenceNumber)
    if (seen.length === 300) break // past the first batch, in the one read ahead
  }
  // Calls made together are answered in the order they were made.
  const [a, b, c] = await Promise.all([s.next(), s.nextBatch(3), s.next()])
  seen.push(a.referenceNumber, ...b.map((p) => p.referenceNumber), c.referenceNumber)
  for (let p = await s.next(); p !== null; p = await s.next()) seen.push(p.referenceNumber)
  assert.deepEqual(seen, Array.from({ length: 600 }, (_, i) => String(i)))
  assert.equal(await s.next(), null)
  assert.deepEqual(await s.nextBatch(), [])
  for await (const patient of s) assert.fail(`after the end: ${patient.referenceNumber}`)
})

test('an error met by one reader reaches the call that waited for it, then the stream is over', async () => {
  const s = kohi.stream(bulkFile(300, true))
  const seen = []
  for await (const patient of s) {
    seen.push(patient.referenceNumber)
    if (seen.length === 290) break
  }
  for (let i = 0; i < 10; i++) seen.push((await s.next()).referenceNumber)
  await assert.rejects(s.next(), (e) => e.code === 'malformed_xml')
  assert.equal(await s.next(), null)
  assert.deepEqual(seen, Array.from({ length: 300 }, (_, i) => String(i)))
})

test('leaving the loop while a batch that will fail is read ahead ends quietly', () => {
  // 256 whole units, then a cut one: the first batch is whole, the one read ahead fails. In a
  // child process, so an unhandled rejection (which ends a process) fails this test, not the run.
  const code = `
    const kohi = require(${JSON.stringify(path.join(__dirname, '..'))})
    ;(async () => {
      let n = 0
      for await (const p of kohi.stream(process.argv[1])) if (++n === 3) break
      await new Promise((resolve) => setTimeout(resolve, 200))
      console.log('left after', n)
    })()`
  const run = require('node:child_process').spawnSync(process.execPath, ['-e', code, bulkFile(256, true)], { timeout: 60000, encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  assert.equal(run.stdout.trim(), 'left after 3')
})

test('a FIFO is refused without blocking the event loop', { skip: process.platform === 'win32' }, () => {
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'kohi-fifo-'))
  const fifo = path.join(dir, 'OQSsiquc01res_fifo.xml')
  require('node:child_process').execFileSync('mkfifo', [fifo])
  // In a child process: a regression fails on the timeout instead of hanging the run.
  const code = `try { require(${JSON.stringify(path.join(__dirname, '..'))}).stream(process.argv[1]) } catch (e) { console.log(e.kohiCode) }`
  const run = require('node:child_process').spawnSync(process.execPath, ['-e', code, fifo], { timeout: 60000, encoding: 'utf8' })
  assert.equal(run.stdout.trim(), 'io', run.stderr)
  fs.rmSync(dir, { recursive: true })
})

// How many of this process's descriptors are open on `file` (Linux: /proc/self/fd).
function openOn(file) {
  const real = fs.realpathSync(file)
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === real
    } catch {
      return false
    }
  }).length
}
// `openOn(file)` once it is 0, or after 5 s (a read off the main thread ending lets it go).
async function letGo(file) {
  for (let waited = 0; waited < 5000 && openOn(file) > 0; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5))
  return openOn(file)
}
const onLinux = { skip: process.platform !== 'linux' && 'reads /proc/self/fd' }

test('close() lets the file go at once; every read after it rejects with `closed`, patients in hand too', onLinux, async () => {
  const file = bulkFile(600, false)
  // No read running (nextBatch reads nothing ahead): close() lets the file go before it returns.
  const idle = kohi.stream(file)
  assert.equal(idle.closed, false)
  assert.equal((await idle.nextBatch(10)).length, 10)
  assert.equal(openOn(file), 1)
  idle.close()
  assert.equal(idle.closed, true)
  assert.equal(openOn(file), 0, 'the file is let go by close(), not by a collection')
  // next() holds a batch and reads the next one ahead: that read lets the file go when it ends.
  const s = kohi.stream(file)
  assert.equal((await s.next()).referenceNumber, '0')
  s.close()
  assert.equal(await letGo(file), 0)
  for (const read of [() => s.next(), () => s.nextBatch(10)]) await assert.rejects(read(), (e) => e.code === 'closed' && e.kohiCode === 'closed')
  await assert.rejects(
    (async () => {
      for await (const _ of s);
    })(),
    (e) => e.code === 'closed',
  )
  s.close()
})

test('close() while a batch is read off the main thread: the file goes when that read ends', onLinux, async () => {
  const file = bulkFile(20000, false)
  const s = kohi.stream(file)
  const pending = s.nextBatch(1024)
  s.close()
  const outcome = await pending.then(
    (list) => `read ${list.length}`,
    (e) => e.code,
  )
  assert.ok(outcome === 'closed' || outcome === 'read 1024', outcome)
  assert.equal(openOn(file), 0)
  await assert.rejects(s.next(), (e) => e.code === 'closed')
})

test('a signal closes the stream: the loop rejects with an AbortError, the file is let go', onLinux, async () => {
  const file = bulkFile(3000, false)
  const controller = new AbortController()
  const reason = new Error('the clinic closed the screen')
  const seen = []
  await assert.rejects(
    (async () => {
      for await (const patient of kohi.stream(file, { signal: controller.signal, maxSize: 1 << 20 })) {
        seen.push(patient.referenceNumber)
        if (seen.length === 300) controller.abort(reason)
      }
    })(),
    (e) => e.name === 'AbortError' && e.code === 'ABORT_ERR' && e.cause === reason,
  )
  assert.equal(seen.length, 300, 'no patient after the abort')
  // A batch read ahead when the abort came lets the file go when that read ends (close() never
  // waits for it); nobody reads after it, so the read itself must let it go.
  assert.equal(await letGo(file), 0)
  const aborted = AbortSignal.abort(reason)
  assert.throws(() => kohi.stream(file, { signal: aborted }), (e) => e.name === 'AbortError' && e.cause === reason)
  assert.throws(() => kohi.stream(file, { signal: 'stop' }), (e) => e.code === 'invalid_argument')
  assert.throws(() => kohi.stream(file, { sginal: controller.signal }), (e) => e.code === 'invalid_argument' && e.message.includes('sginal'))
  // close() lets go of a signal that is kept: aborting it later does not touch the closed stream.
  const kept = new AbortController()
  const s = kohi.stream(file, { signal: kept.signal })
  s.close()
  kept.abort()
  await assert.rejects(s.next(), (e) => e.code === 'closed')
})

test('reads waiting their turn when the signal aborts reject with the AbortError, never end', async () => {
  // The read before them may be done or still running when the abort comes, or not yet
  // started: tried at several moments. A waiting read answered [] (the end of the file) when
  // the one before it had failed as closed, or `closed` when it had not; one that got its
  // patients before the abort keeps them.
  const file = bulkFile(5000, false)
  const reason = new Error('stop')
  const aborted = (e) => e.name === 'AbortError' && e.cause === reason
  for (let round = 0; round < 30; round++) {
    const controller = new AbortController()
    const s = kohi.stream(file, { signal: controller.signal })
    const first = s.nextBatch(1024)
    const second = s.nextBatch(10)
    for (let turns = 0; turns < round % 3; turns++) await new Promise((resolve) => setImmediate(resolve))
    controller.abort(reason)
    // Each read either got its patients before the abort or rejects with the AbortError.
    for (const [read, size] of [
      [first, 1024],
      [second, 10],
    ]) {
      await read.then(
        (list) => assert.equal(list.length, size, `round ${round}: a read answered as at the end`),
        (e) => assert.ok(aborted(e), `round ${round}: ${e.code}`),
      )
    }
  }
})

test('Symbol.asyncDispose closes the stream (`await using`)', { skip: typeof Symbol.asyncDispose !== 'symbol' }, async () => {
  const s = kohi.stream(bulkFile(3, false))
  await s[Symbol.asyncDispose]()
  assert.equal(s.closed, true)
})

test('a file past the size limit is refused when the stream is made, before any patient', async () => {
  const file = path.join(FIXTURES, 'bulk_three_units.xml')
  assert.throws(() => kohi.stream(file, { maxSize: 1000 }), (e) => e.code === 'input_too_large' && e.number === 2)
  assert.equal((await kohi.stream(file, { maxSize: fs.statSync(file).size }).nextBatch()).length, 3)
})

test('the remainder holds what the file said besides its patients, as the whole parse does', async () => {
  // A failed request's answer has no patient: its header (segment 9, the error code) was out of
  // reach of a stream.
  const failed = path.join(FIXTURES, 'header_error.xml')
  const stream = kohi.stream(failed)
  assert.equal(stream.remainder, null)
  for await (const patient of stream) assert.fail(`no patient expected, got ${patient}`)
  const rest = stream.remainder
  assert.equal(rest.header.errorCode, 'PLACEHOLDER-CODE')
  assert.equal(rest.header.segmentOfResult.code, '9')
  assert.deepEqual(rest.toJSON(), kohi.parse(fs.readFileSync(failed)).toJSON())

  const bulk = path.join(FIXTURES, 'bulk_three_units.xml')
  const units = kohi.stream(bulk)
  assert.equal((await units.nextBatch(3)).length, 3)
  assert.deepEqual(await units.nextBatch(), [])
  units.close()
  const bulkRest = units.remainder // kept after close()
  assert.equal(bulkRest.patients.length, 0)
  assert.equal(bulkRest.bulk.reception_number, 'R202511160001')
  assert.deepEqual(bulkRest.bulk, kohi.parse(fs.readFileSync(bulk)).bulk)

  const truncated = kohi.stream(path.join(FIXTURES, 'error_truncated.xml'))
  await assert.rejects(truncated.nextBatch(), (e) => e.code === 'malformed_xml')
  assert.equal(truncated.remainder, null)
})

test("a streamed patient reaches its units' warnings and the header through its result", async () => {
  // A stream gave patients without their warnings (a wrong check digit) or the header.
  const file = path.join(FIXTURES, 'wrong_check_digit.xml')
  const whole = kohi.parse(fs.readFileSync(file))
  const streamed = []
  for await (const patient of kohi.stream(file)) streamed.push(patient)
  assert.equal(streamed.length, 1)
  assert.equal(whole.warnings.length, 4)
  assert.deepEqual(streamed[0].result.warnings, whole.warnings)
  assert.deepEqual(streamed[0].result.toJSON(), whole.toJSON())
  // A bulk file's batch: its patients, the header as the whole parse has it.
  const bulk = path.join(FIXTURES, 'bulk_three_units.xml')
  const units = await kohi.stream(bulk).nextBatch(3)
  assert.equal(units[0].result.patients.length, 3)
  assert.deepEqual(units[2].result.header, kohi.parse(fs.readFileSync(bulk)).header)
  // From the whole parse, the result it came from.
  assert.equal(whole.patients[0].result, whole)
})

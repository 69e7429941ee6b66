'use strict'
// kohi.watch against a simulated terminal: each file whole, delivered until acknowledged, never
// again once acknowledged; an early `break` loses nothing; waits stay off libuv's pool.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const kohi = require('..')
const { FIXTURES, minified } = require('./helpers')

const FAST = { settle: 80, pollInterval: 100, giveUpAfter: 600 }
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function terminal() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kohi-watch-'))
  for (const folder of ['req', 'res', 'face']) fs.mkdirSync(path.join(root, folder))
  return root
}

// Every event until `quietMs` pass without one once `count` arrived, acknowledged as a consumer would.
async function collect(watcher, count, quietMs, limitMs, ack = true) {
  const events = []
  const deadline = Date.now() + limitMs
  while (Date.now() < deadline) {
    const event = await watcher.next(events.length >= count ? quietMs : 200)
    if (event) {
      if (ack) assert.equal(await event.ack(), true)
      events.push(event)
    } else if (events.length >= count) break
  }
  return events
}

test('slow writes, a burst and a rejection are each delivered once; a restart delivers nothing', async () => {
  const root = terminal()
  const watcher = kohi.watch(root, FAST)
  const data = fs.readFileSync(path.join(FIXTURES, 'face_pmh_two.xml'))
  const writing = (async () => {
    const face = path.join(root, 'face', 'OQSsiquc01res_face_a_1.xml')
    fs.writeFileSync(face, data.subarray(0, data.length / 2))
    await sleep(300) // longer than `settle`: the half file must not be delivered
    fs.appendFileSync(face, data.subarray(data.length / 2))
    for (let i = 0; i < 50; i++) {
      fs.copyFileSync(path.join(FIXTURES, 'pmh_overflow.xml'), path.join(root, 'res', `OQSsiquc01res_${String(i).padStart(4, '0')}.xml`))
    }
    fs.writeFileSync(path.join(root, 'res', 'OQSsiquc01req_9999.err'), 'E001')
  })()
  const events = await collect(watcher, 52, 800, 20000)
  await writing
  assert.equal(events.length, 52)
  assert.equal(new Set(events.map((e) => e.path)).size, 52)
  assert.equal(new Set(events.map((e) => e.id)).size, 52)
  const [face] = events.filter((e) => e.kind === 'face')
  assert.equal(face.result.toJsonString(), minified(path.join(FIXTURES, 'face_pmh_two.expected.json')))
  const results = events.filter((e) => e.kind === 'result')
  for (const e of results) assert.equal(e.result.toJsonString(), minified(path.join(FIXTURES, 'pmh_overflow.expected.json')))
  // Each result names its own request (res_NNNN → req_NNNN). Delivery order is not part of the
  // contract: a file seen mid-copy settles again, so a later name can be delivered first.
  for (const e of results) {
    const number = path.basename(e.path).split('_').pop().replace(/\.xml$/, '')
    assert.ok(e.request.endsWith(path.join('req', `OQSsiquc01req_${number}.xml`)), 'a result names its own request')
  }
  const [rejected] = events.filter((e) => e.kind === 'rejected')
  assert.equal(rejected.message, 'E001')
  assert.equal(rejected.result, null)
  watcher.close()
  assert.equal(await watcher.next(5000), null, 'a closed watcher answers at once')

  const again = kohi.watch(root, FAST)
  assert.equal(await again.next(700), null)
  again.close()
  fs.rmSync(root, { recursive: true })
})

test('breaking out of for await loses nothing: the rest, and the one not acknowledged, come again', async () => {
  const root = terminal()
  for (let i = 0; i < 10; i++) {
    fs.copyFileSync(path.join(FIXTURES, 'face_pmh_two.xml'), path.join(root, 'face', `OQSsiquc01res_face_x_${i}.xml`))
  }
  let first
  for await (const event of kohi.watch(root, FAST)) {
    first = event
    break // closes the watcher (and its lock) without acknowledging
  }
  const watcher = kohi.watch(root, FAST)
  const again = await collect(watcher, 10, 300, 10000)
  assert.equal(again.length, 10)
  assert.equal(again.find((e) => e.path === first.path).id, first.id, 'a repeat carries the same id')
  watcher.close()
  const after = kohi.watch(root, FAST)
  assert.equal(await after.next(500), null, 'nothing once all were acknowledged')
  after.close()
  fs.rmSync(root, { recursive: true })
})

test('the results folder itself is refused, typed', () => {
  const root = terminal()
  fs.copyFileSync(path.join(FIXTURES, 'face_pmh_two.xml'), path.join(root, 'res', 'OQSsiquc01res_0001.xml'))
  assert.throws(() => kohi.watch(path.join(root, 'res'), FAST), (e) => e.code === 'not_a_terminal_folder' && e.number === 19)
  assert.equal(fs.existsSync(path.join(root, 'res', '.kohi-inbox.sqlite')), false)
  fs.rmSync(root, { recursive: true })
})

test('a broken file arrives with its error; a second watcher is refused', async () => {
  const root = terminal()
  fs.writeFileSync(path.join(root, 'res', 'OQSsiquc01res_0001.xml'), '<XmlMsg><MessageBody>')
  const watcher = kohi.watch(root, FAST)
  assert.throws(() => kohi.watch(root, FAST), (e) => e.code === 'already_watched' && e.number === 15)
  const event = await watcher.next(5000)
  assert.equal(event.result, null)
  assert.equal(event.error.code, 'malformed_xml')
  assert.equal(watcher.recoveredStore, null)
  watcher.close()
  fs.rmSync(root, { recursive: true })
})

// The names index.d.ts declares for an interface (its `name?:` members), in each of its
// declarations (dts-header.txt adds to some, as `signal` to WatchOptions).
function declaredNames(interfaceName) {
  const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  const bodies = [...dts.matchAll(new RegExp(`export interface ${interfaceName} \\{([\\s\\S]*?)\\n\\}`, 'g'))]
  return bodies.flatMap(([, body]) => [...body.matchAll(/^  (\w+)\?:/gm)].map((m) => m[1]))
}

test('an option name watch() does not know is refused, naming it: a layout beside `parse` was dropped', () => {
  const root = terminal()
  const names = declaredNames('WatchOptions')
  assert.ok(names.includes('parse') && names.includes('doneDir') && names.includes('signal'), names.join())
  for (const name of names) kohi.watch(root, { ...FAST, [name]: undefined }).close()
  for (const name of declaredNames('ParseOptions')) kohi.watch(root, { ...FAST, parse: { [name]: undefined } }).close()
  const refused = (options, words) =>
    assert.throws(() => kohi.watch(root, options), (e) => e.code === 'invalid_argument' && words.every((w) => e.message.includes(w)), JSON.stringify(options))
  refused({ ...FAST, layout: { roots: ['PmhMsg'] } }, ['`layout`', 'parse: { layout }'])
  refused({ ...FAST, settel: 80 }, ['`settel`'])
  refused({ ...FAST, parse: { layuot: {} } }, ['parse', '`layuot`'])
  fs.rmSync(root, { recursive: true })
})

test('settings out of range are typed errors, never wrapped around', () => {
  const root = terminal()
  for (const options of [{ settle: -1 }, { giveUpAfter: -5 }, { pollInterval: Number.NaN }, { settle: 0 }, { giveUpAfter: 1e14 }]) {
    assert.throws(() => kohi.watch(root, options), (e) => e.code === 'invalid_setting', JSON.stringify(options))
  }
  const watcher = kohi.watch(root, FAST)
  assert.throws(() => watcher.nextInto(-1, () => {}), (e) => e.code === 'invalid_setting')
  watcher.close()
  fs.rmSync(root, { recursive: true })
})

test('four waiting watchers leave libuv pool free', async () => {
  const roots = [terminal(), terminal(), terminal(), terminal()]
  const watchers = roots.map((root) => kohi.watch(root, FAST))
  const pending = watchers.map((w) => w.next(5000))
  const started = Date.now()
  await fs.promises.readFile(path.join(FIXTURES, 'face_pmh_two.xml'))
  await fs.promises.readFile(path.join(FIXTURES, 'pmh_overflow.xml'))
  // The pool has four threads: with the waits on it, these reads took until a wait ended (5 s).
  assert.ok(Date.now() - started < 2500, `fs.readFile took ${Date.now() - started} ms`)
  for (const w of watchers) w.close()
  assert.deepEqual(await Promise.all(pending), [null, null, null, null])
  for (const root of roots) fs.rmSync(root, { recursive: true })
})

test('a closed or non-persistent watcher does not keep the process alive', () => {
  const root = terminal()
  const script = (persistent, close) => `
    const kohi = require(${JSON.stringify(path.join(__dirname, '..'))})
    const w = kohi.watch(${JSON.stringify(root)}, { persistent: ${persistent} })
    w.next(20000).then((e) => console.log('resolved', e))
    ${close ? 'setTimeout(() => w.close(), 100)' : ''}
  `
  for (const [persistent, close] of [[false, false], [true, true]]) {
    const started = Date.now()
    const run = spawnSync(process.execPath, ['-e', script(persistent, close)], { encoding: 'utf8', timeout: 30000 })
    assert.equal(run.status, 0, run.stderr)
    assert.ok(Date.now() - started < 10000, `persistent ${persistent}, close ${close}: ${Date.now() - started} ms`)
  }
  fs.rmSync(root, { recursive: true })
})

test('a zipped bulk result lists its entries, the XML one parsed', async () => {
  const root = terminal()
  const zip = path.join(root, 'res', '.bulk.tmp')
  const made = spawnSync('python3', ['-c', `import zipfile; z = zipfile.ZipFile(${JSON.stringify(zip)}, 'w', zipfile.ZIP_DEFLATED); z.write(${JSON.stringify(path.join(FIXTURES, 'bulk_three_units.xml'))}, 'OQSmuquc02res_1.xml'); z.writestr('note.txt', 'x'); z.close()`])
  assert.equal(made.status, 0, String(made.stderr))
  fs.renameSync(zip, path.join(root, 'res', 'OQSmuquc02res_1.zip'))
  const watcher = kohi.watch(root, FAST)
  const [event] = await collect(watcher, 1, 300, 10000)
  assert.equal(event.kind, 'bulk_archive')
  const [first, note] = event.entries
  assert.equal(first.name, 'OQSmuquc02res_1.xml')
  assert.equal(first.result.toJsonString(), minified(path.join(FIXTURES, 'bulk_three_units.expected.json')))
  assert.equal(note.result, null)
  assert.equal(note.error.code, 'io')
  watcher.close()
  fs.rmSync(root, { recursive: true })
})

test('a PMH document is delivered as pmh and paired with its result', async () => {
  const root = terminal()
  const watcher = kohi.watch(root, { ...FAST, parse: { layout: { file_prefixes: ['PMHsimsm'], roots: ['PmhMsg'] } } })
  fs.copyFileSync(path.join(FIXTURES, 'insured_card_utf8.xml'), path.join(root, 'res', 'OQSsiquc01res_0042.xml'))
  const [result] = await collect(watcher, 1, 300, 10000)
  fs.copyFileSync(path.join(FIXTURES, 'pmh_document.xml'), path.join(root, 'res', 'PMHsimsm01res_0042.xml'))
  const [pmh] = await collect(watcher, 1, 300, 10000)
  watcher.close()
  assert.equal(result.kind, 'result')
  assert.equal(result.related, null)
  assert.equal(pmh.kind, 'pmh')
  assert.ok(pmh.related.endsWith(path.join('res', 'OQSsiquc01res_0042.xml')))
  assert.throws(() => kohi.watch(root, { pairBy: ['nope'] }), (e) => e.code === 'invalid_setting')
  fs.rmSync(root, { recursive: true, force: true })
})

test('a request registered with expect() is paired after a kill -9; a closed watcher rejects', async () => {
  const root = terminal()
  const request = path.join(root, 'req', 'custom-request.xml')
  // expect() resolves once the registration is in the ledger: a kill right after loses nothing.
  const script = `
    const kohi = require(${JSON.stringify(path.join(__dirname, '..'))})
    const w = kohi.watch(${JSON.stringify(root)})
    w.expect('Qm9ndXNJZGVudGlmaWVy', ${JSON.stringify(request)}).then(() => process.kill(process.pid, 'SIGKILL'))
  `
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30000 })
  assert.equal(run.signal, 'SIGKILL', run.stderr)
  fs.copyFileSync(path.join(FIXTURES, 'face_pmh_two.xml'), path.join(root, 'face', 'OQSsiquc01res_face_x_1.xml'))
  const watcher = kohi.watch(root, FAST)
  const [event] = await collect(watcher, 1, 300, 10000)
  assert.equal(event.request, request)
  watcher.close()
  await assert.rejects(watcher.expect('LATE', request), (e) => e.code === 'state_store')
  fs.rmSync(root, { recursive: true, force: true })
})

test('a null from next() with a file still waiting: waiting says so until it is delivered', async () => {
  const root = terminal()
  const watcher = kohi.watch(root, { settle: 80, pollInterval: 100, giveUpAfter: 1500 })
  try {
    assert.equal(await watcher.next(300), null)
    assert.equal(watcher.waiting, 0)
    fs.writeFileSync(path.join(root, 'res', 'OQSsiquc01res_0001.xml'), '<XmlMsg><MessageBody>')
    assert.equal(await watcher.next(300), null)
    assert.equal(watcher.waiting, 1, 'seen, waiting for giveUpAfter')
    const [event] = await collect(watcher, 1, 200, 10000)
    assert.equal(event.error.code, 'malformed_xml')
    assert.equal(await watcher.next(100), null)
    assert.equal(watcher.waiting, 0)
  } finally {
    watcher.close()
    fs.rmSync(root, { recursive: true, force: true })
  }
})

// AbortSignal, as fs.watch and timers/promises take it: aborting closes the watcher, a pending
// or later next() and a `for await` loop reject with an AbortError (code ABORT_ERR, the signal's
// reason as its cause), and what was delivered without an ack is delivered again.
const isAbortError = (signal) => (e) => e.name === 'AbortError' && e.code === 'ABORT_ERR' && signal.aborted && e.cause === signal.reason

test('an aborted signal stops a waiting watcher at once, and frees the folder', async () => {
  const root = terminal()
  const controller = new AbortController()
  const watcher = kohi.watch(root, { ...FAST, signal: controller.signal })
  const pending = watcher.next(20000)
  const started = Date.now()
  setTimeout(() => controller.abort(), 100)
  await assert.rejects(pending, isAbortError(controller.signal))
  assert.ok(Date.now() - started < 5000, `next() took ${Date.now() - started} ms to end`)
  assert.equal(watcher.closed, true)
  await assert.rejects(watcher.next(10), isAbortError(controller.signal))
  kohi.watch(root, FAST).close()
  fs.rmSync(root, { recursive: true })
})

test('an abort ends a for-await loop with an AbortError; the file not acknowledged comes again', async () => {
  const root = terminal()
  fs.copyFileSync(path.join(FIXTURES, 'face_pmh_two.xml'), path.join(root, 'face', 'OQSsiquc01res_0001.xml'))
  const controller = new AbortController()
  const seen = []
  await assert.rejects(
    (async () => {
      for await (const event of kohi.watch(root, { ...FAST, signal: controller.signal })) {
        seen.push(event.id)
        controller.abort(new Error('shutting down'))
      }
    })(),
    isAbortError(controller.signal),
  )
  assert.equal(seen.length, 1)
  const again = kohi.watch(root, FAST)
  const event = await again.next(5000)
  assert.equal(event?.id, seen[0])
  assert.equal(await event.ack(), true)
  again.close()
  fs.rmSync(root, { recursive: true })
})

test('a signal aborted already starts no watcher; a signal that is not one is refused', () => {
  const root = terminal()
  const aborted = AbortSignal.abort(new Error('before the start'))
  assert.throws(() => kohi.watch(root, { ...FAST, signal: aborted }), isAbortError(aborted))
  assert.equal(fs.existsSync(path.join(root, '.kohi-inbox.sqlite')), false)
  for (const signal of ['abort', 5, {}]) {
    assert.throws(() => kohi.watch(root, { ...FAST, signal }), (e) => e.code === 'invalid_argument' && e.message.includes('`signal`'), String(signal))
  }
  kohi.watch(root, { ...FAST, signal: null }).close()
  fs.rmSync(root, { recursive: true })
})

test('close() lets go of the signal: one signal for many watchers holds none of them', () => {
  const { getEventListeners } = require('node:events')
  const root = terminal()
  const controller = new AbortController()
  for (let i = 0; i < 3; i++) kohi.watch(root, { ...FAST, signal: controller.signal }).close()
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0)
  const open = kohi.watch(root, { ...FAST, signal: controller.signal })
  assert.equal(getEventListeners(controller.signal, 'abort').length, 1)
  controller.abort()
  assert.equal(open.closed, true)
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0)
  fs.rmSync(root, { recursive: true })
})

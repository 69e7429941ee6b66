// Loads the native addon through binding.js, napi-rs's generated loader: a local build
// (kohi.<platform>.node beside it) or the platform package kohi-onshi-<platform> of a release.
'use strict'

const native = require('./binding.js')

// `watcher.next(timeoutMs)`: the next delivered file or null. The wait runs on the watcher's own
// thread (src/watch.rs), never on libuv's pool; errors become Errors with `.code`, `.kohiCode`
// and `.number`.
native.Watcher.prototype.next = function next(timeoutMs = 1000) {
  return new Promise((resolve, reject) => {
    if (abortedBy.has(this)) return reject(abortError(abortedBy.get(this)))
    if (this.closed) return resolve(null)
    this.nextInto(timeoutMs, (error, event) => {
      // Aborted during the wait: an event that came with it is not handed out (it could not be
      // acknowledged on a closed watcher), so the next watcher delivers it again.
      if (abortedBy.has(this)) return reject(abortError(abortedBy.get(this)))
      if (error === null) return resolve(event)
      reject(typed(new Error(error.message), error.code, error.number))
    })
  })
}

// `watch(folder, { signal })`, as fs.watch and timers/promises take an AbortSignal: aborting
// closes the watcher (what was not acknowledged is delivered again by the next one), and a
// pending or later `next()`, so a `for await` loop, rejects with an AbortError (a stream's too,
// see `stream` below). Per watcher or stream: the signal that aborted it, and how to let go of
// its signal (on close, so that one long-lived signal given to many holds none of them).
const abortedBy = new WeakMap()
const releaseSignal = new WeakMap()

// Node's own AbortError as its APIs throw it: name AbortError, code ABORT_ERR, the reason as cause.
function abortError(signal) {
  const error = new Error('The operation was aborted', { cause: signal.reason })
  error.name = 'AbortError'
  error.code = 'ABORT_ERR'
  return error
}

// What Node's own APIs accept as a signal: an object with `aborted` and `addEventListener`.
function isAbortSignal(value) {
  return value !== null && typeof value === 'object' && typeof value.aborted === 'boolean' && typeof value.addEventListener === 'function'
}

// close() of a watcher or a stream also lets go of its signal; a stream is marked closed here
// (stoppedBy, below).
const closedStreams = new WeakSet()
for (const Class of [native.Watcher, native.PatientStream]) {
  const closeNative = Class.prototype.close
  Class.prototype.close = function close() {
    releaseSignal.get(this)?.()
    releaseSignal.delete(this)
    if (Class === native.PatientStream) closedStreams.add(this)
    closeNative.call(this)
  }
}

// `for await (const event of kohi.watch(folder))`: every file until it is acknowledged
// (`await event.ack()`). Leaving the loop (break, return, throw) closes the watcher; what was not
// acknowledged is delivered again by the next one.
native.Watcher.prototype[Symbol.asyncIterator] = async function* events() {
  try {
    for (;;) {
      const event = await this.next(1000)
      if (event !== null) yield event
      else if (this.closed) return
    }
  } finally {
    this.close()
  }
}

// `for await (const patient of kohi.stream(path))`: one patient at a time to the loop, read off
// the main thread in batches of 256 (one trip per patient cost about 14 µs each; a batch is
// bounded, so memory stays flat). An error after some patients of a batch comes after them.
// Read-ahead: the next batch is read on libuv's pool while the loop handles this one; at most
// two batches are held, and each read starts only when the one before has ended (file order).
// Written as an iterator object rather than an async generator: a generator's `yield` costs
// several promise ticks per patient (about 4 µs, more than reading the patient).
native.PatientStream.prototype[Symbol.asyncIterator] = function patients() {
  return new Patients(readerOf(this))
}

// `await using stream = kohi.stream(path)`, where the runtime has explicit resource management:
// the file is let go when the block ends. Not in index.d.ts (its readers' `lib` may not know
// `Symbol.asyncDispose`).
if (typeof Symbol.asyncDispose === 'symbol') {
  native.PatientStream.prototype[Symbol.asyncDispose] = async function asyncDispose() {
    this.close()
  }
}

// What a `for await` loop sees. Leaving it (break, return, throw) ends this loop only: the
// patients already read stay with the stream, so a later loop, `next()` or `nextBatch()` goes on
// from the first patient the loop did not take (nothing read is dropped).
class Patients {
  #reader
  #left = false

  constructor(reader) {
    this.#reader = reader
  }

  next() {
    return this.#left ? Promise.resolve({ value: undefined, done: true }) : this.#reader.next()
  }

  return(value) {
    this.#left = true
    return Promise.resolve({ value, done: true })
  }

  throw(error) {
    this.#left = true
    return Promise.reject(error)
  }

  [Symbol.asyncIterator]() {
    return this
  }
}

// One reader per stream, whoever reads (`for await`, `next()`, `nextBatch()`): patients come in
// file order, each once, however the calls are mixed. Calls are answered in the order they were
// made; one that needs a batch waits for the calls before it.
const readers = new WeakMap()
function readerOf(stream) {
  let reader = readers.get(stream)
  if (reader === undefined) readers.set(stream, (reader = new Reader(stream)))
  return reader
}

const DONE = Object.freeze({ value: undefined, done: true })

class Reader {
  #stream
  #batch = []
  #at = 0
  // The batch being read ahead (a promise of Patients), or null.
  #ahead = null
  #ended = false
  // The last call still waiting for a batch (it never rejects); later calls wait behind it.
  #waiting = null

  constructor(stream) {
    this.#stream = stream
  }

  // The next patient as an iterator result. From the batch in hand without waiting; else the
  // batch read ahead, and the one after it starts being read.
  next() {
    // Closed: patients in hand are not handed out either (the caller said it was done).
    const stopped = stoppedBy(this.#stream)
    if (stopped !== null) return Promise.reject(stopped)
    if (this.#waiting === null && this.#at < this.#batch.length) {
      return Promise.resolve({ value: this.#batch[this.#at++], done: false })
    }
    return this.#inTurn(() => this.#fill())
  }

  // Up to `max` patients: those in hand, else the batch read ahead, else one read of `max`
  // (an empty array at the end).
  take(max) {
    const stopped = stoppedBy(this.#stream)
    if (stopped !== null) return Promise.reject(stopped)
    return this.#inTurn(async () => {
      if (this.#at >= this.#batch.length && this.#ahead === null) {
        if (this.#ended) return []
        const list = await this.#settle(readBatch(this.#stream, max))
        if (list.length === 0) this.#end()
        return list
      }
      const first = await this.#fill()
      if (first.done) return []
      const list = [first.value]
      while (list.length < max && this.#at < this.#batch.length) list.push(this.#batch[this.#at++])
      return list
    })
  }

  #inTurn(work) {
    // Looked at again when the call's turn comes: a stream closed while the call waited rejects
    // it. A read before it that failed as closed has ended the reader, and the call would have
    // answered as at the end of the file, a close taken for the end.
    const turn = () => {
      const stopped = stoppedBy(this.#stream)
      return stopped === null ? work() : Promise.reject(stopped)
    }
    const call = this.#waiting === null ? turn() : this.#waiting.then(turn)
    const settled = call.then(
      () => {},
      () => {},
    )
    this.#waiting = settled
    settled.then(() => {
      if (this.#waiting === settled) this.#waiting = null
    })
    return call
  }

  async #fill() {
    while (this.#at >= this.#batch.length) {
      if (this.#ended) return DONE
      const ahead = this.#ahead ?? readAhead(this.#stream)
      this.#ahead = null
      this.#batch = await this.#settle(ahead)
      this.#at = 0
      if (this.#batch.length === 0) this.#end()
      else this.#ahead = readAhead(this.#stream)
    }
    return { value: this.#batch[this.#at++], done: false }
  }

  // A read's patients; its error ends the stream and goes to the call that waited for it.
  async #settle(read) {
    try {
      return await read
    } catch (error) {
      this.#end()
      throw error
    }
  }

  #end() {
    this.#ended = true
    this.#batch = []
    this.#at = 0
    this.#ahead = null
  }
}

// One trip off the main thread for up to `max` patients (src/stream.rs: one native result).
// Reached through a registered symbol so that a test can count the trips.
const READ_BATCH = Symbol.for('kohi.PatientStream.readBatch')
function readBatch(stream, max) {
  let read
  try {
    read = stream[READ_BATCH](max)
  } catch (error) {
    // The addon refuses a read of a closed stream at the call: a rejected read all the same,
    // so that a read ahead started as the stream closes does not throw into the loop's step.
    return Promise.reject(stoppedBy(stream) ?? error)
  }
  return read.catch((error) => {
    throw stoppedBy(stream) ?? error
  })
}

// Why a stream's reads fail from now on: an AbortError once its signal aborted, kohi's
// `closed` once close() was called; null while it is open. Asked for every patient: answered
// here (a WeakSet), not by the addon's `closed` (a native call per patient).
function stoppedBy(stream) {
  if (!closedStreams.has(stream)) return null
  if (abortedBy.has(stream)) return abortError(abortedBy.get(stream))
  return typed(new Error('kohi: this stream was closed: close() let its file go, read it before'), 'closed')
}

// A batch being read ahead. If nobody awaits it (the loop was left and the stream dropped), its
// error is nobody's: marked handled here, so it never becomes an unhandled rejection that ends
// the process. Whoever awaits it still gets the error.
function readAhead(stream) {
  const batch = readBatch(stream, native.DEFAULT_BATCH)
  batch.catch(() => {})
  return batch
}

// `patient.kohi`: plain objects built here from one string of UTF-16 units (src/lists.rs,
// `kohi_values`): per entry its length in units (two units, high and low 16 bits), then
// KOHI_FIELDS values in the order of the Kohi interface, each a head unit and, for a text, its
// units. A head of 0 is null; a flag's is 1 or 2 (false, true), the slot's the slot + 1, a
// text's its length + 1, or LONG followed by the length in two units, or SAME alone when it is
// the same as the value before it, itself a text (the same string is given again); the
// 上限額's its number of items + 1 (or LONG and two units), then amount, raw and each item's
// name and value as texts. The values are read with charCodeAt and slice: splitting one string at separators
// cost V8 a search and a runtime call, setting each property through napi far more, and a
// JSON.parse of the 上限額 ten times its object literal.
const KOHI_FIELDS = native.KOHI_FIELDS
const LONG = 0xffff
const SAME = 0xfffe
// The keys and the kind of each value come from the addon (src/lists.rs declares them once).
const KOHI_KEYS = native.kohiKeys().map(([key]) => key)
const KOHI_KINDS = native.kohiKeys().map(([, kind]) => kind)
// Where the last entry read ended (the builders return the entry, and leave its end here).
const cursor = { p: 0 }

// A text value at p as an expression that leaves p after it (the head already read into h).
const TEXT = 'h < SAME ? s.slice(p, (p += h - 1)) : s.slice(p + 2, (p += 2 + s.charCodeAt(p) * 65536 + s.charCodeAt(p + 1)))'
// Each kind's value, given its head h (not 0). A Text is kept in t for a SAME after it.
const DECODE = {
  Text: `h === SAME ? t : (t = ${TEXT})`,
  Date: TEXT,
  Flag: 'h === 2',
  Slot: 'h - 1',
  MaxCopay: '((v = maxCopayment(s, p, h)), (p = cursor.p), v)',
}

// The text whose head is at p, or null; cursor.p is left after it.
function textAt(s, p) {
  const h = s.charCodeAt(p++)
  const start = h < SAME ? p : p + 2
  const end = h === 0 ? p : h < SAME ? p + h - 1 : start + s.charCodeAt(p) * 65536 + s.charCodeAt(p + 1)
  cursor.p = end
  return h === 0 ? null : s.slice(start, end)
}

// The 上限額 after its head h (not 0) at p: { amount, raw, items: [{ name, value }] } as the
// contract has it; cursor.p is left after it.
function maxCopayment(s, p, h) {
  let count = h - 1
  if (h === LONG) {
    count = s.charCodeAt(p) * 65536 + s.charCodeAt(p + 1)
    p += 2
  }
  // Each item takes at least two units: a count past that is a misreading, not a list to make.
  if (count * 2 > s.length - p) throw internal('a 上限額 has more items than its string holds')
  const amount = textAt(s, p)
  const raw = textAt(s, cursor.p)
  const items = new Array(count)
  for (let i = 0; i < count; i++) {
    const name = textAt(s, cursor.p)
    items[i] = { name, value: textAt(s, cursor.p) }
  }
  return { amount, raw, items }
}

// One entry at p: an object literal built from the keys and kinds once, so that V8 optimises
// the whole entry as one function (as fast as a hand-written one); where code generation is
// refused (--disallow-code-generation-from-strings, a strict CSP) a loop that reads the same
// values and adds the keys in the same order.
const readValues = (() => {
  try {
    const fields = KOHI_KEYS.map((key, f) => `${JSON.stringify(key)}: (h = s.charCodeAt(p++)) === 0 ? null : ${DECODE[KOHI_KINDS[f]]}`)
    // eslint-disable-next-line no-new-func
    return new Function('LONG', 'SAME', 'cursor', 'maxCopayment', `return (s, p) => { let h, v, t; const entry = { ${fields.join(', ')} }; cursor.p = p; return entry }`)(LONG, SAME, cursor, maxCopayment)
  } catch {
    return (s, p) => {
      const entry = {}
      let text = null
      for (let f = 0; f < KOHI_FIELDS; f++) {
        const h = s.charCodeAt(p)
        let value = null
        if (KOHI_KINDS[f] === 'Text' && h === SAME) {
          value = text
          p += 1
        } else if (KOHI_KINDS[f] === 'Flag' || KOHI_KINDS[f] === 'Slot' || h === 0) {
          if (h !== 0) value = KOHI_KINDS[f] === 'Flag' ? h === 2 : h - 1
          p += 1
        } else {
          value = KOHI_KINDS[f] === 'MaxCopay' ? maxCopayment(s, p + 1, h) : textAt(s, p)
          p = cursor.p
        }
        entry[KOHI_KEYS[f]] = value
        text = KOHI_KINDS[f] === 'Text' ? value : null
      }
      cursor.p = p
      return entry
    }
  }
})()

// Where the entry at p ends (its length says).
const entryEnd = (s, p) => p + 2 + s.charCodeAt(p) * 65536 + s.charCodeAt(p + 1)

// The entry at p as an object; cursor.p is left where it ends. Its values must end where its
// length says: a value read wrong would shift every field after it, so that fails loudly.
function kohiEntry(s, p) {
  const end = entryEnd(s, p)
  const entry = readValues(s, p + 2)
  if (cursor.p !== end || end > s.length) throw internal('a 公費 entry does not read to its length')
  return entry
}

// `result.toJSON()`: the contract as objects, built here from the addon's values (src/values.rs:
// each value a tag and its content, each object its shape's number and its values), with no
// JSON text: each object is made by an object literal of its shape's keys, made once per shape.
// The addon numbers shapes for good (per thread): a part lists only the shapes this module has
// no builder for yet, so after the first result a part is values alone. JSON.parse of the
// core's JSON (until 2026-12-05) read every key of every object again, and napi's own
// conversion made two Node-API calls a value and capped a conversion at 1,000,000 values. In
// parts: the document without its patients, then the patients a part at a time, so that no
// string nears V8's longest (a whole bulk file within the limits can pass it). Patients per
// part: at most 1,024, fewer where the next would take one of the part's strings past V8's
// longest; null, thrown as limit_exceeded, only when one patient's part alone is longer.
const PATIENTS_PER_PART = 1024
const parts = {
  string: native.KohiResult.prototype.toJsonString,
  withoutPatients: native.KohiResult.prototype.valuesWithoutPatients,
  patients: native.KohiResult.prototype.patientsValues,
}
native.KohiResult.prototype.toJSON = function toJSON() {
  const doc = objectsOf(whole(parts.withoutPatients.call(this, BUILDERS.length), 'KohiResult.toJSON'), BUILDERS)
  const n = at.patientCount.call(this)
  const patients = new Array(n)
  for (let start = 0; start < n;) {
    // A part may end early (before a patient that would make it too long for V8), never empty.
    const part = parts.patients.call(this, start, start + PATIENTS_PER_PART, BUILDERS.length)
    const list = objectsOf(whole(part, 'KohiResult.toJSON'), BUILDERS)
    if (list.length === 0) throw internal('a part of toJSON() holds no patient')
    for (let i = 0; i < list.length; i++) patients[start + i] = list[i]
    start += list.length
  }
  doc.patients = patients
  return doc
}

// The reading of one part (src/values.rs): the control string (tags, counts, short Latin-1
// texts, one byte a character), the short texts past Latin-1 (UTF-16) and the buffer of the
// longer texts (Latin-1, then UTF-16LE), and where the reading is in each. V8 copies a
// substring shorter than 13 characters and makes a longer one a slice that keeps its whole
// string alive: the two strings are only sliced short, and a longer text is made from the
// buffer as a string of its own, so no text keeps its part's other values alive. One part is
// read at a time, by nothing that can call back. BUILDERS: a builder per shape the addon has
// sent this module, by its number.
let CONTROL = ''
let AT = 0
let SHORT = ''
let SHORT_AT = 0
let LONG_TEXTS = null
let LATIN1_AT = 0
let WIDE_AT = 0
const BUILDERS = []
let SHAPES = BUILDERS
// The tags, from src/values.rs.
const [T_NULL, T_FALSE, T_TRUE, T_TEXT, T_NUMBER, T_ARRAY, T_OBJECT, T_MAP, T_LATIN1, T_WIDE, T_WIDE_LONG, T_SAME] = native.valueTags()
// The part's short texts so far (T_TEXT, T_WIDE), for T_SAME: a short text met again is the
// same string, as JSON.parse makes each short value once.
let SEEN = []

// A part's value, after the shapes it adds to `builders` (the builders of the shapes the addon
// sent so far, by number). The part says the number of its first shape: the count of builders
// asked with, or fewer when the addon has fewer (its shapes were made anew), and the builders
// from that number on are replaced.
function objectsOf([control, short, long], builders) {
  CONTROL = control
  SHORT = short
  LONG_TEXTS = long
  AT = SHORT_AT = LATIN1_AT = 0
  SHAPES = builders
  SEEN = []
  try {
    const from = four()
    if (from > builders.length) throw internal('a toJSON() part adds shapes after ones it does not have')
    builders.length = from
    const tableEnd = 12 + four()
    const latin1End = (WIDE_AT = four())
    while (AT < tableEnd) {
      const keys = new Array(head())
      for (let i = 0; i < keys.length; i++) {
        let key = ''
        for (let n = head(); n > 0; n--, AT += 2) key += String.fromCharCode(CONTROL.charCodeAt(AT) * 256 + CONTROL.charCodeAt(AT + 1))
        keys[i] = key
      }
      builders.push(builderOf(keys))
    }
    if (AT !== tableEnd) throw internal('the shapes of a toJSON() part do not read to their length')
    const value = read()
    if (AT !== CONTROL.length || SHORT_AT !== SHORT.length || LATIN1_AT !== latin1End || WIDE_AT !== LONG_TEXTS.length) {
      throw internal('a toJSON() part does not read to its end')
    }
    return value
  } finally {
    CONTROL = SHORT = ''
    LONG_TEXTS = null
    SEEN = []
  }
}

// Four bytes as one number, high first.
function four() {
  const n = CONTROL.charCodeAt(AT) * 16777216 + CONTROL.charCodeAt(AT + 1) * 65536 + CONTROL.charCodeAt(AT + 2) * 256 + CONTROL.charCodeAt(AT + 3)
  AT += 4
  return n
}

// A length or a count: + 1 in one byte below 255, else 255 and four bytes.
function head() {
  const h = CONTROL.charCodeAt(AT++)
  return h < 255 ? h - 1 : four()
}

// The value at AT.
function read() {
  switch (CONTROL.charCodeAt(AT++)) {
    case T_NULL:
      return null
    case T_FALSE:
      return false
    case T_TRUE:
      return true
    case T_TEXT: {
      const n = head()
      return seen(CONTROL.slice(AT, (AT += n)))
    }
    case T_LATIN1: {
      const n = head()
      return LONG_TEXTS.toString('latin1', LATIN1_AT, (LATIN1_AT += n))
    }
    case T_WIDE: {
      const n = head()
      return seen(SHORT.slice(SHORT_AT, (SHORT_AT += n)))
    }
    case T_SAME: {
      const text = SEEN[head()]
      if (text === undefined) throw internal('a toJSON() text is the same as one its part does not have')
      return text
    }
    case T_WIDE_LONG: {
      const n = head()
      return LONG_TEXTS.toString('utf16le', WIDE_AT, (WIDE_AT += 2 * n))
    }
    case T_NUMBER: {
      const n = head()
      return Number(CONTROL.slice(AT, (AT += n)))
    }
    case T_ARRAY: {
      // At its length: pushing onto [] left room for 17 items in a one-item list (192 bytes
      // against JSON.parse's 16), and most lists hold one item or none.
      const n = four()
      const list = new Array(n)
      for (let i = 0; i < n; i++) list[i] = read()
      return list
    }
    case T_OBJECT: {
      const build = SHAPES[CONTROL.charCodeAt(AT) * 256 + CONTROL.charCodeAt(AT + 1)]
      AT += 2
      if (build === undefined) throw internal('a toJSON() object has a shape its part does not')
      return build()
    }
    case T_MAP: {
      const n = four()
      const object = {}
      for (let i = 0; i < n; i++) {
        const key = read()
        if (typeof key !== 'string') throw internal('a toJSON() object has a key that is no text')
        define(object, key, read())
      }
      return object
    }
    default:
      throw internal('a toJSON() value has a tag the addon does not write')
  }
}

// A short text, kept for T_SAME.
function seen(text) {
  SEEN.push(text)
  return text
}

// An own property as JSON.parse makes it (`__proto__` too, which `object[key] = value` would
// take for the prototype); a key given twice keeps its last value, as in JSON.parse.
function define(object, key, value) {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true })
}

// A function that makes an object of these keys, in order, each value read from the part: an
// object literal, so that V8 gives every object of a shape one map and optimises the function
// as one; where code generation is refused (--disallow-code-generation-from-strings, a strict
// CSP), or a key would be read by a literal as something else (`__proto__`) or twice, a loop
// that defines the same keys in the same order.
function builderOf(keys) {
  try {
    if (keys.includes('__proto__') || new Set(keys).size !== keys.length) throw new Error('not as a literal')
    // eslint-disable-next-line no-new-func
    return new Function('read', `return () => ({ ${keys.map((key) => `${JSON.stringify(key)}: read()`).join(', ')} })`)(read)
  } catch {
    return () => {
      const object = {}
      for (let i = 0; i < keys.length; i++) define(object, keys[i], read())
      return object
    }
  }
}

// `result.toJsonString()`: the core's JSON text, or `limit_exceeded` when it is longer than a
// JavaScript string can be (toJSON() still works then).
native.KohiResult.prototype.toJsonString = function toJsonString() {
  return whole(parts.string.call(this), 'KohiResult.toJsonString')
}

// `using result = kohi.parse(…)`, where the runtime has explicit resource management: close()
// (src/lib.rs) frees the document when the block ends. Not in index.d.ts, whose readers' `lib`
// may not know `Symbol.dispose`.
if (typeof Symbol.dispose === 'symbol') {
  native.KohiResult.prototype[Symbol.dispose] = function dispose() {
    this.close()
  }
}

// The addon's JSON text, or null when V8 could not hold it as one string.
function whole(text, where) {
  if (text !== null) return text
  throw typed(new Error(`${where}: the JSON is longer than a JavaScript string can be (about 2^29 characters)`), 'limit_exceeded', 13)
}

// kohi's own fault, never the input's: the addon's values and this file's reading of them
// disagree (a build of one with the other of another release, or a bug). Thrown rather than
// returning 公費 that could be another patient's or shifted by a field; typed like the rest.
function internal(what) {
  return typed(new Error(`kohi: ${what}; this is a fault of kohi's (the addon and index.js disagree), please report it`), 'internal')
}

// An error made here, shaped as the addon's: `.code` and `.kohiCode` the core's code, `.number`
// its number where it has one.
function typed(error, code, number) {
  error.code = code
  error.kohiCode = code
  if (number !== undefined) error.number = number
  return error
}

// Patients are plain JS objects holding their result and their index, in private fields (so
// `console.log(patient)` shows no personal data); each getter reads through the result. A napi
// class instance per patient (a wrapped object with a finalizer) cost 2-3 µs each, most of what
// a bulk file's `patients` cost on top of the parse. The result's `…At(index)` methods are
// internal (src/objects.rs); they are called as the addon defined them, before `checked` below
// wraps every method (an index made here needs no check).
const R = native.KohiResult.prototype
const at = {
  referenceNumber: R.referenceNumberAt,
  processingResultStatus: R.processingResultStatusAt,
  processingResultCode: R.processingResultCodeAt,
  processingResultMessage: R.processingResultMessageAt,
  qualificationValidity: R.qualificationValidityAt,
  prescriptionIssueSelect: R.prescriptionIssueSelectAt,
  searchInfo: R.searchInfoAt,
  pmh: R.pmhAt,
  qualificationsJson: R.qualificationsJsonAt,
  patientsHead: R.patientsHead,
  kohiValuesIn: R.kohiValuesIn,
  kohiCounts: R.kohiCounts,
  patientCount: R.patientCount,
}
// `result.close()` (src/lib.rs) also marks the result here: a patient's `kohi` is answered
// without the addon when the patient has none or its block was read, and must throw too.
const CLOSED = Symbol('kohi.closed')
const closeDocument = R.close
R.close = function close() {
  closeDocument.call(this)
  this[CLOSED] = true
}
// Only this module makes patients: `new Patient()` elsewhere is refused, as the addon's class was.
const MADE_HERE = Symbol('kohi.Patient')
let partsOf

class Patient {
  #result
  #index
  // How many 公費 the patient has, when the result said (a bulk result, see patientsOf); else -1.
  #kohiCount
  // The 公費 values of its result's patients, read a block at a time (KohiBlocks), or null.
  #kohiBlocks
  // Its own 公費 values (the patient of a result of one, see patientsOf), or null.
  #kohiValues
  constructor(token, result, index, kohiCount = -1, kohiBlocks = null, kohiValues = null) {
    if (token !== MADE_HERE) {
      throw typed(new TypeError('a Patient comes from a result (result.patients) or a stream'), 'invalid_argument')
    }
    this.#result = result
    this.#index = index
    this.#kohiCount = kohiCount
    this.#kohiBlocks = kohiBlocks
    this.#kohiValues = kohiValues
  }

  static {
    // The result and index of a patient, or null for anything else (`reconcile` below).
    partsOf = (p) => (p !== null && typeof p === 'object' && #result in p ? [p.#result, p.#index] : null)
  }

  // The result this patient was read from (a stream's: its batch), for its warnings and header.
  get result() {
    return this.#result
  }

  /** 照会番号. */
  get referenceNumber() {
    return at.referenceNumber.call(this.#result, this.#index)
  }
  get processingResultStatus() {
    return at.processingResultStatus.call(this.#result, this.#index)
  }
  get processingResultCode() {
    return at.processingResultCode.call(this.#result, this.#index)
  }
  get processingResultMessage() {
    return at.processingResultMessage.call(this.#result, this.#index)
  }
  get qualificationValidity() {
    return at.qualificationValidity.call(this.#result, this.#index)
  }
  get prescriptionIssueSelect() {
    return at.prescriptionIssueSelect.call(this.#result, this.#index)
  }
  get searchInfo() {
    return at.searchInfo.call(this.#result, this.#index)
  }
  get pmh() {
    return at.pmh.call(this.#result, this.#index)
  }
  // `patient.qualifications`: plain objects parsed from the JSON the addon writes (see above).
  get qualifications() {
    return JSON.parse(at.qualificationsJson.call(this.#result, this.#index))
  }
  // `patient.toJSON()`, so `JSON.stringify(patient)`: the patient as in the contract (what
  // `result.toJSON().patients` holds), read as toJSON() reads a part. Without it JSON.stringify
  // wrote `{}` (the fields are getters): a patient stored that way was stored empty.
  toJSON() {
    const part = parts.patients.call(this.#result, this.#index, this.#index + 1, BUILDERS.length)
    const list = objectsOf(whole(part, 'Patient.toJSON'), BUILDERS)
    if (list.length !== 1) throw internal('a patient\'s part does not hold one patient')
    return list[0]
  }

  // `patient.kohi`: plain objects built here from one string of values (see above).
  get kohi() {
    // Closed: the addon throws `closed` (the answers below would not ask it).
    if (this.#result[CLOSED] === true) at.patientCount.call(this.#result)
    if (this.#kohiCount === 0) return []
    if (this.#kohiBlocks !== null) return this.#kohiBlocks.entries(this.#index, this.#kohiCount)
    const s = this.#kohiValues
    if (s === null) throw internal('a patient has no 公費 values to read')
    const list = []
    for (let p = 0; p < s.length; p = cursor.p) list.push(kohiEntry(s, p))
    return list
  }
}

// `result.patients`: one per person, in document order.
Object.defineProperty(R, 'patients', {
  configurable: true,
  enumerable: false,
  get() {
    return patientsOf(this)
  },
})

// Every patient of a result (a whole document, or a stream's batch), in order.
function patientsOf(result) {
  // The count and, for one patient, its 公費 values: one call (src/objects.rs, patientsHead).
  const head = at.patientsHead.call(result)
  const n = head.charCodeAt(0) * 65536 + head.charCodeAt(1)
  if (n === 1) {
    const values = head.slice(2)
    return [new Patient(MADE_HERE, result, 0, values === '' ? 0 : -1, null, values)]
  }
  if (n === 0) return []
  // Several patients (a bulk result, a stream's batch): their 公費 counts in one call, so that
  // `kohi` of a patient with none, most units of a bulk file, needs no call of its own (a call
  // per patient was about a third of reading a 100,000-unit file's 公費).
  const counts = at.kohiCounts.call(result)
  const blocks = new KohiBlocks(result, counts)
  const list = new Array(n)
  for (let i = 0; i < n; i++) list[i] = new Patient(MADE_HERE, result, i, counts[i], blocks)
  return list
}

// Patients per block of KohiBlocks: few enough that reading one patient's 公費 out of order
// costs little (the block's are written and split with it), many enough that a bulk file's
// calls are few.
const KOHI_BLOCK = 64

// The 公費 values of a result's patients, one native call per block of KOHI_BLOCK patients
// (the block of the last patient read is kept, so reading in order calls once per block). One
// call per patient with 公費 was about 40 % of reading a bulk file's 公費
// (`patients.map(p => p.kohi)` on 1,000 units).
class KohiBlocks {
  #result
  #counts
  #block = -1
  #values = ''
  // Where each patient of the block starts in #values.
  #starts = null
  constructor(result, counts) {
    this.#result = result
    this.#counts = counts
  }

  // `count` entries of patient `index` (its count from kohiCounts, not 0), as new objects.
  entries(index, count) {
    const block = Math.floor(index / KOHI_BLOCK)
    if (block !== this.#block) this.#read(block)
    const s = this.#values
    let p = this.#starts[index - block * KOHI_BLOCK]
    const list = new Array(count)
    for (let e = 0; e < count; e++) {
      list[e] = kohiEntry(s, p)
      p = cursor.p
    }
    return list
  }

  #read(block) {
    const start = block * KOHI_BLOCK
    const end = Math.min(this.#counts.length, start + KOHI_BLOCK)
    const s = at.kohiValuesIn.call(this.#result, start, end)
    // Each patient's first entry, found by the lengths of the entries before it.
    const starts = new Uint32Array(end - start)
    let p = 0
    for (let i = start; i < end; i++) {
      starts[i - start] = p
      for (let e = 0; e < this.#counts[i]; e++) p = entryEnd(s, p)
    }
    // Entries that do not end with the string would give patients each other's 公費.
    if (p !== s.length) throw internal('the 公費 values of a block do not add up')
    this.#block = block
    this.#values = s
    this.#starts = starts
  }
}

// A stream reads a batch of patients as one native result (`nextBatch`, src/stream.rs), handed
// out as Patients; `next()` and `nextBatch()` read through the stream's one Reader (above).
const S = native.PatientStream.prototype
const nextResults = S.nextBatch
S[READ_BATCH] = function readBatch(max) {
  return nextResults.call(this, max).then((result) => (result === null ? [] : patientsOf(result)))
}
S.next = function next() {
  return readerOf(this)
    .next()
    .then((step) => (step.done ? null : step.value))
}
// Not `async`: a bad `max` throws at the call, as the addon's method did.
S.nextBatch = function nextBatch(max) {
  return readerOf(this).take(batchSize(max))
}

// `max` as the addon reads it, checked at the call (a read may wait its turn) by the addon's own
// check; a value that is not a number is refused here, as napi's message would quote it.
function batchSize(max) {
  if (max !== undefined && max !== null && typeof max !== 'number') {
    throw typed(new TypeError('PatientStream.nextBatch: an argument has the wrong type'), 'invalid_argument')
  }
  return native.batchSize(max)
}

// Arguments are checked here, before napi sees them, for two reasons. napi's own conversion
// errors quote the value they could not convert (a number, a file's bytes), and an error must
// never carry patient data; and napi turns a lone surrogate into U+FFFD, which would change a
// name or a number silently. Both become typed errors that say where, never what.
function invalidEncoding(where, index) {
  return typed(new Error(`${where}: a string holds a lone surrogate at UTF-16 offset ${index}`), 'invalid_encoding', 3)
}

function loneSurrogateAt(text) {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++
        continue
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) return i
  }
  return -1
}

// The names each options object takes: index.d.ts's ParseOptions and WatchOptions (a test holds
// these lists to them). napi ignores a name it does not know, so a misspelt `layuot`, or a
// `layout` given to watch() beside its `parse`, was not applied and nothing said so: a layout
// lost that way leaves the 公費 under its names unread. Refused instead, as Python's keyword
// arguments and the CLI's flags are.
const PARSE_OPTIONS = new Set(['aliases', 'layout', 'maxSize', 'limits'])
const STREAM_OPTIONS = new Set([...PARSE_OPTIONS, 'signal'])
const WATCH_OPTIONS = new Set(['settle', 'pollInterval', 'giveUpAfter', 'stateFile', 'doneDir', 'persistent', 'pairBy', 'parse', 'signal'])
const REQUEST_FIELDS = new Set([
  'medicalInstitutionCode',
  'qualificationConfirmationDate',
  'insurerNumber',
  'insuredCardSymbol',
  'insuredIdentificationNumber',
  'insuredBranchNumber',
  'birthdate',
  'limitApplicationConsent',
  'arbitraryFileIdentifier',
  'freePart',
  'encoding',
])
// Function name → which argument is its options object, and the names it takes.
const OPTIONS_OF = {
  parse: [1, PARSE_OPTIONS],
  parseFile: [1, STREAM_OPTIONS],
  stream: [1, STREAM_OPTIONS],
  survey: [1, PARSE_OPTIONS],
  surveyFiles: [1, PARSE_OPTIONS],
  watch: [1, WATCH_OPTIONS],
  writeRequest: [1, REQUEST_FIELDS],
}

function checkOptionNames(where, options, names) {
  // Anything but an object is napi's to refuse (its type check).
  if (options === null || typeof options !== 'object') return
  for (const key of Object.keys(options)) {
    if (names.has(key)) continue
    const hint = names === WATCH_OPTIONS && PARSE_OPTIONS.has(key) ? ` (parse options go under \`parse\`: { parse: { ${key} } })` : ''
    throw typed(new TypeError(`${where}: unknown option \`${key}\`${hint}`), 'invalid_argument')
  }
  if (names === WATCH_OPTIONS) checkOptionNames(`${where}: parse`, options.parse, PARSE_OPTIONS)
}

// Whether an object or array argument holds a string with a lone surrogate, nested too.
// JSON.stringify writes one as an escape (\udxxx) and throws on a cycle (which napi's own
// conversion would follow until the stack ran out). The items of an array are looked at one by
// one, and bytes not at all: JSON.stringify writes a Buffer as an array of numbers (its
// toJSON), so `survey([buffer])` of a 60 MB file took two minutes and 2.4 GB, and a larger
// one could take the process past V8's heap limit.
function holdsLoneSurrogate(value) {
  if (Array.isArray(value)) {
    return value.some((item) =>
      typeof item === 'string' ? !item.isWellFormed() : item !== null && typeof item === 'object' && !ArrayBuffer.isView(item) && holdsLoneSurrogate(item),
    )
  }
  // A plain object of numbers, flags and strings (`{ maxSize }`, the common options) is looked
  // at key by key: JSON.stringify and the pattern test were most of what this wrapper added to
  // a face result's parse. Anything else (nested, a toJSON of its own) goes to JSON.stringify.
  const flat = flatHoldsLoneSurrogate(value)
  if (flat !== undefined) return flat
  return /\\ud[89a-f]/i.test(JSON.stringify(value) ?? '')
}

// Whether a plain object of primitives holds a lone surrogate in a key or a string value, as
// JSON.stringify would find it; undefined if it holds anything else.
function flatHoldsLoneSurrogate(value) {
  if (Object.getPrototypeOf(value) !== Object.prototype) return undefined
  let found = false
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue
    const item = value[key]
    const type = typeof item
    if (type === 'string') found ||= !item.isWellFormed()
    else if (item !== null && type !== 'number' && type !== 'boolean' && type !== 'undefined') return undefined
    found ||= !key.isWellFormed()
  }
  return found
}

function checked(where, fn) {
  const [optionsAt, optionNames] = OPTIONS_OF[where] ?? []
  return function (...args) {
    if (optionNames !== undefined) checkOptionNames(where, args[optionsAt], optionNames)
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]
      if (typeof arg === 'string' && !arg.isWellFormed()) throw invalidEncoding(where, loneSurrogateAt(arg))
      if (arg !== null && typeof arg === 'object' && !ArrayBuffer.isView(arg)) {
        if (holdsLoneSurrogate(arg)) throw invalidEncoding(where, 0)
        if (i === optionsAt) args[i] = withJsonTexts(arg)
      }
    }
    try {
      return fn.apply(this, args)
    } catch (error) {
      // napi's codes are PascalCase (StringExpected, InvalidArg…); kohi's errors carry kohiCode,
      // an AbortError Node's ABORT_ERR.
      if (error && error.kohiCode === undefined && typeof error.code === 'string' && /^[A-Z][a-z]/.test(error.code)) {
        throw typed(new TypeError(`${where}: an argument has the wrong type`), 'invalid_argument')
      }
      throw error
    }
  }
}

// Options whose `layout` or `aliases` is a plain object get it as JSON text, written by V8: the
// addon then reads a string (napi's conversion of the object, property by property, cost about
// 8 µs a call, twice a face result's parse; a layout built from the same text is reused).
function withJsonTexts(options) {
  const plain = (v) => v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype
  if (!plain(options) || !(plain(options.layout) || plain(options.aliases))) return options
  const copy = { ...options }
  if (plain(copy.layout)) copy.layout = JSON.stringify(copy.layout)
  if (plain(copy.aliases)) copy.aliases = JSON.stringify(copy.aliases)
  return copy
}

const api = {}
for (const [name, value] of Object.entries(native)) {
  const isClass = typeof value === 'function' && /^[A-Z]/.test(name)
  api[name] = typeof value === 'function' && !isClass ? checked(name, value) : value
  if (isClass) {
    for (const method of Object.getOwnPropertyNames(value.prototype)) {
      const descriptor = Object.getOwnPropertyDescriptor(value.prototype, method)
      if (method !== 'constructor' && typeof descriptor.value === 'function' && typeof method === 'string') {
        Object.defineProperty(value.prototype, method, { ...descriptor, value: checked(`${name}.${method}`, descriptor.value) })
      }
    }
  }
}

// Bytes as the addon takes them: a Uint8Array, which it reads in place for the call. An
// ArrayBuffer (what fetch's arrayBuffer() and a WebSocket give) or a DataView is viewed as one,
// without a copy; a typed array of wider items is refused (its bytes are not a file's, and
// reading them would parse something other than what the caller holds). Memory shared with
// other threads (a SharedArrayBuffer) is copied first: another worker could write it while kohi
// reads it, and kohi's reading assumes bytes that do not change. Anything else goes on as it
// is, for the addon to take or refuse.
// For a parse, shared bytes past the size limit are refused before they are copied (the
// addon's own check and error, src/lib.rs `checkInputSize`); `survey` (options null here)
// copies them, so that its report counts them under `failed` as it counts any other source.
const Shared = typeof SharedArrayBuffer === 'function' ? SharedArrayBuffer : null
const checkInputSize = native.checkInputSize
delete api.checkInputSize
function bytesOf(where, data, options) {
  if (data === null || typeof data !== 'object' || data instanceof Uint8Array) return unshared(data, options)
  if (data instanceof ArrayBuffer || (Shared !== null && data instanceof Shared)) return unshared(new Uint8Array(data), options)
  if (data instanceof DataView || (ArrayBuffer.isView(data) && data.BYTES_PER_ELEMENT === 1)) {
    return unshared(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), options)
  }
  if (ArrayBuffer.isView(data)) {
    throw typed(new TypeError(`${where}: bytes are a Uint8Array, ArrayBuffer or DataView, not a typed array of ${data.BYTES_PER_ELEMENT}-byte items`), 'invalid_argument')
  }
  return data
}
function unshared(data, options) {
  if (Shared === null || !(data instanceof Uint8Array) || !(data.buffer instanceof Shared)) return data
  if (options !== null) checkInputSize(data.byteLength, typeof options === 'object' ? options.maxSize : undefined)
  return data.slice()
}

// `parse(data, options)`: an options object's properties go to the addon as arguments, read
// here by V8's inline caches (napi asked for each by a name made anew, src/lib.rs).
const parseWithOptions = native.parseWithOptions
delete api.parseWithOptions
api.parse = checked('parse', function parse(data, options) {
  data = bytesOf('parse', data, options ?? undefined)
  if (options === null || typeof options !== 'object') return native.parse(data, options)
  return parseWithOptions(data, options.aliases, options.layout, options.maxSize, options.limits)
})

// `open(options)` with the options' `signal` taken out and bound to what it opens (a watcher or
// a stream): aborting closes it, and its pending or later reads, so a `for await` loop, reject
// with an AbortError (see abortedBy above); its close() lets go of the signal.
function openWithSignal(where, options, open) {
  const signal = options !== null && typeof options === 'object' ? options.signal : undefined
  if (signal === undefined || signal === null) return open(options)
  if (!isAbortSignal(signal)) throw typed(new TypeError(`${where}: \`signal\` must be an AbortSignal`), 'invalid_argument')
  if (signal.aborted) throw abortError(signal)
  const { signal: _, ...rest } = options
  const opened = open(rest)
  const onAbort = () => {
    abortedBy.set(opened, signal)
    opened.close()
  }
  signal.addEventListener('abort', onAbort, { once: true })
  releaseSignal.set(opened, () => signal.removeEventListener('abort', onAbort))
  return opened
}

// `watch(folder, { signal })` and `stream(path, { signal })`: the rest of the options go to the addon.
const watchFolder = native.watch
api.watch = checked('watch', function watch(folder, options) {
  return openWithSignal('watch', options, (rest) => watchFolder(folder, rest))
})
const streamFile = native.stream
api.stream = checked('stream', function stream(path, options) {
  return openWithSignal('stream', options, (rest) => streamFile(path, rest))
})

// `parseFile(path, { signal })`, as `fs.promises.readFile` takes one: an abort rejects the
// promise at once with an AbortError. The parse itself runs on libuv's pool and is not stopped
// half-way: its result, when it comes, is closed (its document freed then, not whenever V8
// collects an object nobody holds).
const parseFileNative = native.parseFile
api.parseFile = checked('parseFile', function parseFile(path, options) {
  const signal = options !== null && typeof options === 'object' ? options.signal : undefined
  if (signal === undefined || signal === null) return parseFileNative(path, options)
  if (!isAbortSignal(signal)) throw typed(new TypeError('parseFile: `signal` must be an AbortSignal'), 'invalid_argument')
  const { signal: _, ...rest } = options
  const parsing = parseFileNative(path, rest)
  if (signal.aborted) {
    parsing.then((result) => result.close(), () => {})
    return Promise.reject(abortError(signal))
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError(signal))
    signal.addEventListener('abort', onAbort, { once: true })
    parsing.then(
      (result) => {
        signal.removeEventListener('abort', onAbort)
        if (signal.aborted) result.close()
        else resolve(result)
      },
      (error) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
})

// `survey(sources, options)`: each source's bytes as `parse` takes them.
const surveySources = native.survey
api.survey = checked('survey', function survey(sources, options) {
  return surveySources(Array.isArray(sources) ? sources.map((source) => bytesOf('survey', source, null)) : sources, options)
})

// `reconcile(stored, patient, today)`: the addon's `reconcileAt` takes the patient's result and
// index (called unwrapped: `checked` would write the whole result out to look for surrogates).
const reconcileAt = native.reconcileAt
delete api.reconcileAt
// The stream's batch size and its check are index.js's to use (above), not part of the API.
delete api.batchSize
delete api.valueTags
// The allocator's delay (src/allocator.rs) is for the tests, which read it from binding.js.
delete api.purgeDelay
delete api.DEFAULT_BATCH
// The 公費 keys and their count are read by this file (above), not part of the API.
delete api.kohiKeys
delete api.KOHI_FIELDS
api.reconcile = checked('reconcile', function reconcile(stored, patient, today) {
  const parts = partsOf(patient)
  if (parts === null) {
    throw typed(new TypeError('reconcile: patient must be a Patient (from result.patients or a stream)'), 'invalid_argument')
  }
  return reconcileAt(stored, parts[0], parts[1], today)
})
api.Patient = Patient
// toJSON()'s reader of one part, for the tests (src/values.rs writes what kohi's model holds,
// which is not every shape the reader takes).
Object.defineProperty(api, Symbol.for('kohi.toJSON.objectsOf'), { value: objectsOf })

module.exports = api

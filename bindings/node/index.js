// Loads the native addon. The test script builds it with cargo and copies it here as kohi.node;
// a published package ships the same file.
'use strict'

const native = require('./kohi.node')

// `for await (const event of kohi.watch(folder))`: each finished file once. The wait runs on
// the thread pool (see Watcher.next), so the event loop stays free.
native.Watcher.prototype[Symbol.asyncIterator] = async function* events() {
  for (;;) {
    const event = await this.next(1000)
    if (event !== null) yield event
  }
}

// `for await (const patient of kohi.stream(path))`: one patient at a time, read off the main thread.
native.PatientStream.prototype[Symbol.asyncIterator] = async function* patients() {
  for (;;) {
    const patient = await this.next()
    if (patient === null) return
    yield patient
  }
}

module.exports = native

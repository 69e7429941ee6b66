// Loads the native addon. The test script builds it with cargo and copies it here as kohi.node;
// a published package ships the same file.
'use strict'

const native = require('./kohi.node')

// `watcher.next(timeoutMs)`: the next delivered file or null. The wait runs on the watcher's own
// thread (src/watch.rs), never on libuv's pool; errors become Errors with `.code` and `.number`.
native.Watcher.prototype.next = function next(timeoutMs = 1000) {
  return new Promise((resolve, reject) => {
    if (this.closed) return resolve(null)
    this.nextInto(timeoutMs, (error, event) => {
      if (error === null) return resolve(event)
      const e = new Error(error.message)
      e.code = error.code
      e.number = error.number
      reject(e)
    })
  })
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

// `for await (const patient of kohi.stream(path))`: one patient at a time, read off the main thread.
native.PatientStream.prototype[Symbol.asyncIterator] = async function* patients() {
  for (;;) {
    const patient = await this.next()
    if (patient === null) return
    yield patient
  }
}

// `patient.kohi`: plain objects built here from one string of values, KOHI_FIELDS per entry in
// the order of the Kohi interface, separated by U+0000, null as U+0001, flags as t/f (see
// src/lists.rs: setting each property through napi costs far more).
const KOHI_FIELDS = native.KOHI_FIELDS
const NULL = '\u0001'
const text = (x) => (x === NULL ? null : x)
const flag = (x) => (x === NULL ? null : x === 't')
Object.defineProperty(native.Patient.prototype, 'kohi', {
  configurable: true,
  enumerable: false,
  get() {
    const s = this.kohiValues()
    const list = []
    if (s === '') return list
    const v = s.split('\u0000')
    for (let i = 0; i < v.length; i += KOHI_FIELDS) {
      list.push({
        slot: v[i] === NULL ? null : Number(v[i]),
        source: v[i + 1],
        lawNumber: text(v[i + 2]),
        prefectureNumber: text(v[i + 3]),
        agencyNumber: text(v[i + 4]),
        payerNumber: text(v[i + 5]),
        payerNumberRaw: text(v[i + 6]),
        payerNumberValid: flag(v[i + 7]),
        recipientNumber: text(v[i + 8]),
        recipientNumberRaw: text(v[i + 9]),
        recipientNumberValid: flag(v[i + 10]),
        scope: v[i + 11],
        program: text(v[i + 12]),
        certificateName: text(v[i + 13]),
        validFrom: text(v[i + 14]),
        validFromRaw: text(v[i + 15]),
        validTo: text(v[i + 16]),
        validToRaw: text(v[i + 17]),
        incomeSegment: text(v[i + 18]),
        maxCopayment: v[i + 19] === NULL ? null : JSON.parse(v[i + 19]),
        alwaysReimbursement: flag(v[i + 20]),
        segment: text(v[i + 21]),
        certificationSubKey: text(v[i + 22]),
        additionalConditions: text(v[i + 23]),
        designatedMedicalInstitutions: text(v[i + 24]),
        welfareOfficeName: text(v[i + 25]),
        path: v[i + 26],
        renewal: text(v[i + 27]),
      })
    }
    return list
  },
})

// `patient.qualifications`: plain objects parsed from the JSON the addon writes (see above).
Object.defineProperty(native.Patient.prototype, 'qualifications', {
  configurable: true,
  enumerable: false,
  get() {
    return JSON.parse(this.qualificationsJson())
  },
})

module.exports = native

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

// `patient.kohi`: plain objects built here from one JSON array of values, KOHI_FIELDS per entry
// in the order of the Kohi interface (see src/json_lists.rs: setting each property through napi
// costs far more than JSON.parse and an object literal).
const KOHI_FIELDS = native.KOHI_FIELDS
Object.defineProperty(native.Patient.prototype, 'kohi', {
  configurable: true,
  enumerable: false,
  get() {
    const v = JSON.parse(this.kohiValues())
    const list = []
    for (let i = 0; i < v.length; i += KOHI_FIELDS) {
      list.push({
        slot: v[i],
        source: v[i + 1],
        lawNumber: v[i + 2],
        prefectureNumber: v[i + 3],
        agencyNumber: v[i + 4],
        payerNumber: v[i + 5],
        payerNumberRaw: v[i + 6],
        payerNumberValid: v[i + 7],
        recipientNumber: v[i + 8],
        recipientNumberRaw: v[i + 9],
        recipientNumberValid: v[i + 10],
        scope: v[i + 11],
        program: v[i + 12],
        certificateName: v[i + 13],
        validFrom: v[i + 14],
        validFromRaw: v[i + 15],
        validTo: v[i + 16],
        validToRaw: v[i + 17],
        incomeSegment: v[i + 18],
        maxCopayment: v[i + 19],
        alwaysReimbursement: v[i + 20],
        segment: v[i + 21],
        certificationSubKey: v[i + 22],
        additionalConditions: v[i + 23],
        designatedMedicalInstitutions: v[i + 24],
        welfareOfficeName: v[i + 25],
        path: v[i + 26],
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

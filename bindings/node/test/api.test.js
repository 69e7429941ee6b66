'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const util = require('node:util')
const kohi = require('..')
const { FIXTURES } = require('./helpers')

const read = (name) => fs.readFileSync(path.join(FIXTURES, name))
const parse = (name, options) => kohi.parse(read(name), options)

test('PMH subsidies in receipt order', () => {
  const [patient] = parse('pmh_three_out_of_order.xml').patients
  assert.equal(patient.pmh, 'received')
  assert.deepEqual(
    patient.kohi.map((k) => [k.slot, k.lawNumber, k.payerNumber, k.recipientNumber]),
    [[1, '21', '21136015', '3000015'], [2, '54', '54136015', '1112226'], [3, '88', '88131016', 'K000067890']],
  )
  const [first, second, local] = patient.kohi
  assert.equal(first.scope, 'national')
  assert.equal(first.program, '障害者総合支援法 自立支援医療（精神通院医療）')
  assert.equal(first.validFrom, '2025-06-01')
  assert.equal(first.validToRaw, '20260531')
  assert.equal(first.payerNumberValid, true)
  assert.deepEqual(first.maxCopayment, { amount: '5000', raw: '５，０００円', items: [] })
  assert.deepEqual(second.maxCopayment.items[0], { name: 'MonthlyLimit', value: '20000' })
  assert.equal(local.scope, 'local')
  assert.equal(local.recipientNumberValid, null)
  assert.equal(local.program, null)
  assert.equal(local.certificateName, 'ひとり親家庭等医療証')
})

test('公費 values cross napi whole: characters beyond the BMP, and ASCII-only entries', () => {
  // The values come over as UTF-16 when any is not ASCII, as UTF-8 otherwise (src/objects.rs).
  const xml = fs.readFileSync(path.join(FIXTURES, 'face_pmh_two.xml'), 'utf8')
  const astral = xml.replace('<CertificationName>子ども医療証</CertificationName>', '<CertificationName>𠮷野 子ども医療証 ①</CertificationName>')
  assert.notEqual(astral, xml)
  const kohiOf = (text) => kohi.parse(Buffer.from(text)).patients[0].kohi
  assert.equal(kohiOf(astral).find((k) => k.scope === 'local').certificateName, '𠮷野 子ども医療証 ①')
  assert.deepEqual(kohiOf(astral).map((k) => k.payerNumber), kohiOf(xml).map((k) => k.payerNumber))
  // Only the local certificate, without its name: every value ASCII.
  const ascii = xml.replace(/<MedicalSubsidyCertificateInfo>[\s\S]*?<\/MedicalSubsidyCertificateInfo>/, '').replace('<CertificationName>子ども医療証</CertificationName>', '')
  const [local] = kohiOf(ascii)
  assert.ok(/^[\x20-\x7e]*$/.test(JSON.stringify(local)), JSON.stringify(local))
  assert.deepEqual([local.payerNumber, local.recipientNumber, local.validTo, local.scope, local.certificateName], ['88131016', 'K000012345', '2027-09-30', 'local', null])
})

test('overflow and PMH states', () => {
  const result = parse('pmh_overflow.xml')
  assert.deepEqual(result.patients[0].kohi.map((k) => k.slot), [1, 2, 3, 4, null])
  assert.deepEqual(result.warnings.map((w) => w.code), ['slot_overflow'])
  assert.equal(parse('face_no_pmh.xml').patients[0].pmh, 'absent')
  assert.equal(parse('pmh_consent_refused.xml').patients[0].pmh, 'received_empty')
  // Certificates under names kohi does not read: never "empty".
  assert.equal(parse('pmh_unknown_names.xml').patients[0].pmh, 'received_unread')
})

test('医療扶助 A1', () => {
  const [patient] = parse('medical_aid_a1.xml').patients
  const [k] = patient.kohi
  assert.deepEqual([k.slot, k.source, k.lawNumber, k.payerNumber, k.recipientNumber], [1, 'medical_aid', '12', '12136016', '7654320'])
  assert.equal(k.welfareOfficeName, '新宿区福祉事務所')
  const [q] = patient.qualifications
  assert.deepEqual(q.insuredCardClassification, { code: 'A1', label: '医療扶助' })
  assert.deepEqual(q.medicalTickets[0].ticket_type, { code: '01', label: '医療券' })
})

test('qualification, header and Shift_JIS', () => {
  const result = parse('insured_card_sjis.xml')
  assert.equal(result.encoding, 'Shift_JIS')
  const [q] = result.patients[0].qualifications
  assert.deepEqual([q.insurerNumber, q.insurerNumberRaw, q.insurerNumberValid], ['138057', '  138057', true])
  assert.deepEqual([q.insuredIdentificationNumber, q.insuredIdentificationNumberRaw], ['40123', '４０１２３'])
  assert.equal(q.name, '見本　一郎')
  assert.equal(q.birthdate, '1953-03-11')
  assert.equal(q.elderlyRecipientCertificate.contribution_ratio, '020')
  assert.deepEqual(result.header.segmentOfResult, { code: '1', label: '正常終了' })
  assert.equal(result.header.qualificationConfirmationDate, '2025-06-04')
  assert.equal(result.patients[0].searchInfo.insurer_number.valid, true)
})

test('invalid dates are null with their text kept', () => {
  const result = parse('unknown_element_and_code.xml')
  const [q] = result.patients[0].qualifications
  assert.equal(q.birthdate, null)
  assert.equal(q.birthdateRaw, '19850230')
  assert.deepEqual(result.patients[0].qualificationValidity, { code: '7', label: null })
  assert.deepEqual(result.unknownElements[0], { path: 'XmlMsg/MessageHeader/SystemVersion', text: '9.01' })
})

test('bulk', () => {
  const result = parse('bulk_three_units.xml')
  assert.deepEqual(result.patients.map((p) => p.referenceNumber), ['1001', '1002', '1003'])
  assert.equal(result.bulk.reception_number, 'R202511160001')
})

test('Buffer, Uint8Array and string agree', () => {
  const bytes = read('face_pmh_two.xml')
  const expected = kohi.parse(bytes).toJsonString()
  assert.equal(kohi.parse(new Uint8Array(bytes)).toJsonString(), expected)
  assert.equal(kohi.parse(bytes.toString('utf8')).toJsonString(), expected)
  // A view into a larger buffer is read from its own offset to its own end (the bytes are
  // borrowed for the call, not copied).
  const padded = Buffer.concat([Buffer.from('<junk>'), bytes, Buffer.from('</junk>')])
  assert.equal(kohi.parse(padded.subarray(6, 6 + bytes.length)).toJsonString(), expected)
  assert.equal(kohi.parse(new Uint8Array(padded.buffer, padded.byteOffset + 6, bytes.length)).toJsonString(), expected)
  const decoded = new TextDecoder('shift_jis').decode(read('insured_card_sjis.xml'))
  const fromText = kohi.parse(decoded)
  assert.equal(fromText.encoding, 'UTF-8')
  assert.equal(fromText.patients[0].qualifications[0].name, '見本　一郎')
})

test('an ArrayBuffer, a DataView and one-byte typed arrays are bytes too; wider items are refused', () => {
  const bytes = read('face_pmh_two.xml')
  const expected = kohi.parse(bytes).toJsonString()
  const padded = Buffer.concat([Buffer.from('<junk>'), bytes, Buffer.from('</junk>')])
  const own = padded.buffer.slice(padded.byteOffset + 6, padded.byteOffset + 6 + bytes.length)
  assert.equal(kohi.parse(own).toJsonString(), expected)
  assert.equal(kohi.parse(new DataView(padded.buffer, padded.byteOffset + 6, bytes.length)).toJsonString(), expected)
  assert.equal(kohi.parse(new Int8Array(padded.buffer, padded.byteOffset + 6, bytes.length)).toJsonString(), expected)
  assert.equal(kohi.parse(own, { maxSize: 1 << 20 }).toJsonString(), expected)
  assert.equal(kohi.parse(new Uint8Array(read('insured_card_sjis.xml')).buffer).encoding, 'Shift_JIS')
  const wide = (e) => e instanceof TypeError && e.code === 'invalid_argument' && /2-byte items/.test(e.message)
  assert.throws(() => kohi.parse(new Uint16Array(8)), wide)
  assert.throws(() => kohi.survey([new Uint16Array(8)]), wide)
  const found = kohi.survey([own, new DataView(own), bytes])
  assert.equal(found.files, 3)
  assert.deepEqual(found.failed, {})
})

// Memory shared with other threads could change while kohi reads it, so index.js copies it
// first (no test here races a worker against a parse); this checks that such bytes are read,
// as a SharedArrayBuffer itself or through a view, and left as they were.
test('bytes in a SharedArrayBuffer are read, through a view or not', () => {
  const bytes = read('face_pmh_two.xml')
  const expected = kohi.parse(bytes).toJsonString()
  const shared = new SharedArrayBuffer(bytes.length)
  const view = new Uint8Array(shared)
  view.set(bytes)
  for (const data of [shared, view, new DataView(shared)]) assert.equal(kohi.parse(data).toJsonString(), expected)
  assert.equal(kohi.survey([shared]).files, 1)
  // The copy is what kohi reads: the original is left as it was.
  assert.deepEqual(Buffer.from(view), bytes)
  // Past the size limit, a parse refuses shared bytes as it refuses any (before the copy); a
  // survey counts them, as it counts any source past the limit.
  const tooLarge = (e) => e.code === 'input_too_large' && e.number === 2 && /exceeds the limit of 100 bytes/.test(e.message)
  assert.throws(() => kohi.parse(shared, { maxSize: 100 }), tooLarge)
  assert.throws(() => kohi.parse(bytes, { maxSize: 100 }), tooLarge)
  assert.deepEqual(kohi.survey([shared, bytes], { maxSize: 100 }).failed, { input_too_large: 2 })
  assert.throws(() => kohi.parse(shared, { maxSize: -1 }), (e) => e.code === 'invalid_argument')
})

test('bad arguments throw, never crash', () => {
  for (const bad of [undefined, null, 42, {}, [], true]) {
    assert.throws(() => kohi.parse(bad), Error)
  }
  assert.throws(() => kohi.parse(read('face_pmh_two.xml'), { aliases: 42 }), Error)
  assert.throws(() => kohi.parse(read('face_pmh_two.xml'), { maxSize: -1 }), (e) => e.code === 'invalid_argument')
  assert.throws(() => kohi.checkNumber('phone', '1'), (e) => e.code === 'invalid_argument')
  assert.throws(() => kohi.parse('x'.repeat(1_000_000)), (e) => e.code === 'malformed_xml')
})

test('argument errors never quote the value; a lone surrogate is an error, not U+FFFD', async () => {
  const secret = (e) => !/52136017|1234567|見本/.test(`${e.message} ${e.stack}`)
  assert.throws(() => kohi.checkNumber('payer', 52136017), (e) => e.code === 'invalid_argument' && secret(e))
  assert.throws(() => kohi.parseFile(Buffer.from('<XmlMsg>見本 1234567</XmlMsg>')), (e) => e.code === 'invalid_argument' && secret(e))
  const name = '<XmlMsg><MessageBody><ResultList><ResultOfQualificationConfirmation><Name>見本\ud800</Name></ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>'
  assert.throws(() => kohi.parse(name), (e) => e.code === 'invalid_encoding' && e.number === 3 && secret(e))
  assert.throws(() => kohi.checkNumber('payer', '5213\ud8006017'), (e) => e.code === 'invalid_encoding' && secret(e))
  assert.throws(() => kohi.parse(read('face_pmh_two.xml'), { aliases: { 見本: ['\udc00'] } }), (e) => e.code === 'invalid_encoding')
  // Options of strings and numbers only are looked at key by key (index.js), not as JSON.
  assert.throws(() => kohi.parse(read('face_pmh_two.xml'), { maxSize: 1 << 20, aliases: '{"見本": "\udc00"}' }), (e) => e.code === 'invalid_encoding')
  assert.throws(() => kohi.watch('/nonexistent', { stateFile: '/tmp/\ud800' }), (e) => e.code === 'invalid_encoding')
  // A well-formed pair is no lone surrogate.
  assert.equal(kohi.checkNumber('payer', '52136017\ud83d\ude00').valid, false)
  // Nested in a list of sources, in an object, and a cycle: refused before the addon sees them.
  assert.throws(() => kohi.survey([read('face_pmh_two.xml'), '<XmlMsg>\ud800</XmlMsg>']), (e) => e.code === 'invalid_encoding')
  assert.throws(() => kohi.survey([{ a: ['\udfff'] }]), (e) => e.code === 'invalid_encoding')
  const cycle = { rename: {} }
  cycle.rename.self = cycle
  assert.throws(() => kohi.parse(read('face_pmh_two.xml'), { layout: cycle }), TypeError)
})

test('the surrogate check never writes a source\'s bytes out as JSON (a 60 MB survey took 2.4 GB)', () => {
  const toJSON = Buffer.prototype.toJSON
  Buffer.prototype.toJSON = () => {
    throw new Error('a Buffer was written out as JSON')
  }
  try {
    const bytes = read('face_pmh_two.xml')
    assert.equal(kohi.survey([bytes, new Uint8Array(bytes)]).files, 2)
    assert.equal(kohi.parse(bytes).patients.length, 1)
  } finally {
    Buffer.prototype.toJSON = toJSON
  }
})

test('options: aliases and size limit', () => {
  const renamed = read('face_pmh_two.xml').toString('utf8').replaceAll('MedicalSubsidyInsurerNumber', 'PayerNo')
  assert.equal(kohi.parse(renamed).patients[0].kohi[0].payerNumber, null)
  for (const aliases of [{ MedicalSubsidyInsurerNumber: ['PayerNo'] }, '{"MedicalSubsidyInsurerNumber": "PayerNo"}']) {
    assert.equal(kohi.parse(renamed, { aliases }).patients[0].kohi[0].payerNumber, '52136017')
  }
  assert.throws(() => kohi.parse(renamed, { aliases: { NoSuchElement: ['X'] } }), (e) => e.code === 'invalid_alias_table')
  assert.throws(() => kohi.parse(renamed, { maxSize: 100 }), (e) => e.code === 'input_too_large' && e.number === 2)
})

test('parseFile resolves and rejects', async () => {
  const result = await kohi.parseFile(path.join(FIXTURES, 'pmh_overflow.xml'))
  assert.deepEqual(result.patients[0].kohi.map((k) => k.slot), [1, 2, 3, 4, null])
  await assert.rejects(kohi.parseFile(path.join(FIXTURES, 'error_doctype.xml')), (e) => e instanceof Error && e.code === 'doctype_not_allowed' && e.kohiCode === 'doctype_not_allowed')
})

test('parseFile takes a signal: an abort rejects at once with an AbortError, and the result is closed when it comes', async () => {
  const { getEventListeners } = require('node:events')
  const file = path.join(FIXTURES, 'face_pmh_two.xml')
  const closeNative = kohi.KohiResult.prototype.close
  let closed = 0
  kohi.KohiResult.prototype.close = function close() {
    closed++
    return closeNative.call(this)
  }
  try {
    // Not aborted: the result, and the listener let go.
    const kept = new AbortController()
    const result = await kohi.parseFile(file, { signal: kept.signal, maxSize: 1 << 20 })
    assert.equal(result.patients[0].kohi.length, 2)
    assert.equal(getEventListeners(kept.signal, 'abort').length, 0)
    // Aborted while the parse runs: rejected with the reason as cause; the result closed.
    const controller = new AbortController()
    const parsing = kohi.parseFile(file, { signal: controller.signal })
    const reason = new Error('the user left the screen')
    controller.abort(reason)
    await assert.rejects(parsing, (e) => e.name === 'AbortError' && e.code === 'ABORT_ERR' && e.cause === reason)
    // Aborted before the call: a rejected promise, as fs.promises.readFile gives.
    await assert.rejects(kohi.parseFile(file, { signal: controller.signal }), (e) => e.name === 'AbortError' && e.cause === reason)
    for (let i = 0; i < 100 && closed < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    assert.equal(closed, 2, 'both results that came after the abort were closed')
    // A parse error still rejects as it did, and a bad signal is refused at the call.
    await assert.rejects(kohi.parseFile(path.join(FIXTURES, 'error_doctype.xml'), { signal: kept.signal }), (e) => e.code === 'doctype_not_allowed')
    assert.throws(() => kohi.parseFile(file, { signal: 'stop' }), (e) => e.code === 'invalid_argument')
  } finally {
    kohi.KohiResult.prototype.close = closeNative
  }
})

test('an I/O error is reported as fs reports it (code ENOENT, errno, path) with kohi code io beside it', async () => {
  const missing = path.join(FIXTURES, 'no_such_file.xml')
  await assert.rejects(kohi.parseFile(missing), (e) => {
    assert.equal(e.code, 'ENOENT')
    assert.equal(e.kohiCode, 'io')
    assert.equal(e.number, 1)
    assert.equal(e.errno, -2)
    assert.equal(e.path, missing)
    assert.ok(e.message.includes(missing) && e.message.includes('os error 2'), e.message)
    return true
  })
  // A folder where a file is expected: EISDIR, never invalid_argument.
  await assert.rejects(kohi.parseFile(FIXTURES), (e) => e.code === 'EISDIR' && e.kohiCode === 'io')
})

test('the event loop stays responsive while parseFile reads a large bulk file', async () => {
  const units = []
  for (let i = 0; i < 40000; i++) {
    units.push(`<BulkConfirmUnit><ReferenceNumber>${i}</ReferenceNumber><ProcessingResultStatus>1</ProcessingResultStatus>` +
      '<QualificationValidity>1</QualificationValidity><ResultList><ResultOfQualificationConfirmation>' +
      '<InsuredCardClassification>01</InsuredCardClassification><InsurerNumber>  138057</InsurerNumber>' +
      '<Name>見本　一郎</Name><Birthdate>19530311</Birthdate></ResultOfQualificationConfirmation></ResultList></BulkConfirmUnit>\n')
  }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kohi-')), 'bulk.xml')
  fs.writeFileSync(file, `<XmlMsg><MessageHeader><SegmentOfResult>1</SegmentOfResult></MessageHeader><MessageBody>${units.join('')}</MessageBody></XmlMsg>`)
  let ticks = 0
  const timer = setInterval(() => { ticks++ }, 1)
  const started = process.hrtime.bigint()
  const result = await kohi.parseFile(file)
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6
  clearInterval(timer)
  assert.equal(result.patients.length, 40000)
  // The parse ran on the thread pool: timers kept firing meanwhile (not a timing assertion on
  // kohi's speed, only that the loop was not blocked for the whole parse).
  assert.ok(ticks >= 2, `timer fired ${ticks} times during a ${elapsedMs.toFixed(0)} ms parse`)
  fs.rmSync(path.dirname(file), { recursive: true })
})

test('reconcile and checkNumber', () => {
  const [patient] = parse('face_pmh_two.xml').patients
  const stored = [{ payer_number: '52136017', recipient_number: '1234566', valid_from: '2025-04-01', valid_to: '2026-03-31', income_segment: '一般Ⅰ', max_copayment: '5000' }]
  assert.deepEqual(kohi.reconcile(stored, patient, '2025-06-04').map((c) => c.change), ['unchanged', 'added'])
  assert.deepEqual(kohi.reconcile(JSON.stringify(stored), patient, '2026-04-01').map((c) => c.change), ['expired', 'added'])
  assert.deepEqual(kohi.reconcile(stored, parse('face_no_pmh.xml').patients[0], '2025-06-04').map((c) => c.change), ['unknown'])
  assert.throws(() => kohi.reconcile([{ nope: 1 }], patient, '2025-06-04'), (e) => e.code === 'invalid_stored_record')
  assert.throws(() => kohi.reconcile(stored, patient, '2025/06/04'), (e) => e.code === 'invalid_argument')
  for (const notAPatient of [{}, null, 'patient', parse('face_pmh_two.xml')]) {
    assert.throws(() => kohi.reconcile(stored, notAPatient, '2025-06-04'), (e) => e instanceof TypeError && e.code === 'invalid_argument')
  }
  assert.equal(kohi.checkNumber('payer', '54016027').valid, true)
  assert.deepEqual(kohi.checkNumber('insurer', '06139993'), { kind: 'insurer', normalized: '06139993', valid: false, expectedCheckDigit: 2 })
  // The wrong length: no check digit makes it right, so none is offered.
  assert.equal(kohi.checkNumber('payer', '521360172').expectedCheckDigit, null)
  assert.equal(kohi.checkNumber('recipient', '１２３４５６６').normalized, '1234566')
})

test('patients are Patients, made only by a result or a stream, read lazily through their result', async () => {
  const result = parse('bulk_three_units.xml')
  const patients = result.patients
  assert.ok(patients.every((p) => p instanceof kohi.Patient))
  assert.notEqual(result.patients[0], patients[0]) // a new list each time, as before
  assert.deepEqual(patients.map((p) => p.referenceNumber), result.patients.map((p) => p.referenceNumber))
  assert.throws(() => new kohi.Patient(), TypeError)
  assert.throws(() => new kohi.Patient(Symbol('kohi.Patient'), result, 0), TypeError)
  assert.deepEqual(Object.keys(patients[0]), []) // nothing of the patient is an own property
  const streamed = []
  for await (const p of kohi.stream(path.join(FIXTURES, 'bulk_three_units.xml'))) streamed.push(p)
  assert.ok(streamed.every((p) => p instanceof kohi.Patient))
  const next = await kohi.stream(path.join(FIXTURES, 'bulk_three_units.xml')).next()
  assert.ok(next instanceof kohi.Patient)
  assert.equal(next.referenceNumber, patients[0].referenceNumber)
})

test('inspecting a result or a patient shows no personal data', () => {
  const result = parse('face_pmh_two.xml')
  // showHidden too: what a parse hands over with the result (the patient's 公費) is kept there.
  for (const [value, showHidden] of [result, result.patients[0]].flatMap((v) => [[v, false], [v, true]])) {
    const shown = util.inspect(value, { depth: 5, showHidden })
    for (const secret of ['見本', 'ﾐﾎﾝ', '52136017', '1234566', '24434']) {
      assert.ok(!shown.includes(secret), `${shown} shows ${secret}`)
    }
  }
  assert.throws(() => kohi.parse('<XmlMsg><Name>見本太郎</Nam></XmlMsg>'), (e) => !e.message.includes('見本'))
})

test('the module exports what index.d.ts declares, and nothing of the addon\'s own', () => {
  const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  const declared = new Set([...dts.matchAll(/^export declare (?:function|class|const) (\w+)/gm)].map((m) => m[1]))
  assert.deepEqual(Object.keys(kohi).filter((name) => !declared.has(name)), [])
  assert.deepEqual([...declared].filter((name) => !(name in kohi)), [])
})

test('version matches the crate', () => {
  const cargo = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'Cargo.toml'), 'utf8')
  assert.equal(kohi.version(), /\nversion = "([^"]+)"/.exec(cargo)[1])
  assert.equal(require('../package.json').version, kohi.version())
})

test('limits by name; a stream applies them per unit', async () => {
  const face = read('face_pmh_two.xml')
  assert.throws(() => kohi.parse(face, { limits: { elements: 10 } }), (e) => e.code === 'limit_exceeded')
  assert.ok(kohi.parse(face, { limits: { elements: 1000, kept_bytes: 1 << 20 } }).patients.length === 1)
  assert.throws(() => kohi.parse(face, { limits: { bogus: 1 } }), (e) => e.code === 'invalid_setting')
  assert.throws(() => kohi.parse(face, { limits: { elements: -1 } }), (e) => e.code === 'invalid_setting')
  const bulk = path.join(FIXTURES, 'bulk_three_units.xml')
  assert.throws(() => kohi.parse(fs.readFileSync(bulk), { limits: { patients: 1 } }), (e) => e.code === 'limit_exceeded')
  let streamed = 0
  for await (const patient of kohi.stream(bulk, { limits: { patients: 1 } })) streamed += patient ? 1 : 0
  assert.equal(streamed, 3)
})

test('survey proposes a layout that reads the wrapped certificates; no value in it', () => {
  const wrapped = path.join(FIXTURES, 'pmh_wrapped.xml')
  const found = kohi.survey([wrapped])
  assert.equal(found.files, 1)
  assert.deepEqual(found.layout.wrappers, { PmhJoho: ['ResultOfQualificationConfirmation'] })
  assert.ok(found.report.includes('MedicalSubsidyInsurerNumber ← FutanshaBango  [high]'))
  assert.ok(!JSON.stringify(found).includes('52136017'))
  const numbers = (r) => r.patients[0].kohi.map((k) => [k.payerNumber, k.recipientNumber])
  const want = numbers(kohi.parse(fs.readFileSync(path.join(FIXTURES, 'face_pmh_two.xml'))))
  assert.equal(want.length, 2)
  assert.deepEqual(numbers(kohi.parse(fs.readFileSync(wrapped), { layout: found.layout })), want)
  assert.equal(kohi.survey([fs.readFileSync(path.join(FIXTURES, 'insured_card_utf8.xml'))]).layout, null)
})

test('surveyFiles surveys paths off the main thread: the same report, two kinds of certificate', async () => {
  const files = [path.join(FIXTURES, 'pmh_two_kinds.xml'), path.join(FIXTURES, 'no_such_file.xml')]
  const pending = kohi.surveyFiles(files)
  assert.ok(pending instanceof Promise)
  const found = await pending
  assert.deepEqual(found, kohi.survey(files))
  assert.deepEqual(found.failed, { io: 1 })
  assert.deepEqual(found.layout.rename.MedicalSubsidyCertificateInfo, ['KohiJukyushasho', 'ChihoIryosho'])
  const payers = kohi.parse(fs.readFileSync(files[0]), { layout: found.layout }).patients[0].kohi.map((k) => k.payerNumber)
  assert.deepEqual(payers, ['52136017', '88131016'])
  assert.throws(() => kohi.surveyFiles(files, { layout: '{"place": 1}' }), (e) => e.code === 'invalid_layout')
  assert.throws(() => kohi.surveyFiles([Buffer.from('<XmlMsg/>')]), (e) => e.code === 'invalid_argument')
})

test('a layout and aliases both apply (each used to replace the other without a word)', () => {
  const text = read('face_pmh_two.xml').toString('utf8')
  const renamed = text.replaceAll('MedicalSubsidyInsurerNumber', 'FutanshaBango').replace('<Name>', '<Shimei>').replace('</Name>', '</Shimei>')
  const layout = { rename: { MedicalSubsidyInsurerNumber: ['FutanshaBango'] } }
  const options = { layout, aliases: { Name: 'Shimei' } }
  const result = kohi.parse(Buffer.from(renamed), options)
  assert.deepEqual(result.patients[0].kohi.map((k) => k.payerNumber), ['52136017', '88131016'])
  assert.equal(result.patients[0].qualifications[0].name, '見本　花子')
  assert.deepEqual(result.unknownElements, [])
  // Objects are handed to the addon as JSON text, on a copy: the caller's options stay as given.
  assert.equal(options.layout, layout)
  assert.deepEqual(options.aliases, { Name: 'Shimei' })
  assert.throws(() => kohi.parse(Buffer.from(renamed), { layout: [layout] }), (e) => e.code === 'invalid_argument')
  assert.throws(() => kohi.parse(Buffer.from(renamed), { layout: { rename: { Name: '\ud800' } } }), (e) => e.code === 'invalid_encoding')
})

test('an option name parse() does not know is refused, naming it (napi ignored it: a misspelt layout was not applied)', () => {
  const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  const body = dts.match(/export interface ParseOptions \{([\s\S]*?)\n\}/)[1]
  const names = [...body.matchAll(/^  (\w+)\?:/gm)].map((m) => m[1])
  assert.deepEqual(names.toSorted(), ['aliases', 'layout', 'limits', 'maxSize'])
  const bytes = read('face_pmh_two.xml')
  for (const name of names) assert.equal(kohi.parse(bytes, { [name]: undefined }).patients.length, 1)
  for (const call of [() => kohi.parse(bytes, { layuot: {} }), () => kohi.survey([bytes], { maxsize: 1 })]) {
    assert.throws(call, (e) => e.code === 'invalid_argument' && /unknown option `(layuot|maxsize)`/.test(e.message))
  }
  // As for any bad argument of parseFile, at the call (not a rejected promise).
  assert.throws(() => kohi.parseFile(path.join(FIXTURES, 'face_pmh_two.xml'), { Layout: '{}' }), (e) => e.code === 'invalid_argument')
})

test('a bad layout is invalid_layout naming the key', () => {
  assert.throws(
    () => kohi.parse(fs.readFileSync(path.join(FIXTURES, 'face_pmh_two.xml')), { layout: { place: { Name: 'Nowhere' } } }),
    (e) => e.code === 'invalid_layout' && e.number === 18 && e.message.includes('place.Name'),
  )
})

test('a path given to parse says to call parseFile', () => {
  const file = path.join(FIXTURES, 'face_pmh_two.xml')
  assert.throws(() => kohi.parse(file), (e) => e.code === 'invalid_argument' && /parseFile/.test(e.message))
  assert.equal(kohi.parse(fs.readFileSync(file)).patients[0].kohi[0].payerNumber, '52136017')
})

test('toJSON() gives every character back: past the BMP, full-width, Latin-1, escapes', () => {
  const name = '𠀋見本\u3000花子 é \\ "q" \tｱ'
  const xml = `<XmlMsg><MessageHeader/><MessageBody><ResultList><ResultOfQualificationConfirmation><Name>${name.replace('\t', '&#x9;')}</Name></ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>`
  const result = kohi.parse(Buffer.from(xml))
  assert.equal(result.toJSON().patients[0].qualifications[0].name, name)
  assert.deepEqual(result.toJSON(), JSON.parse(result.toJsonString()))
})

// toJSON() builds its objects from the addon's parts of values (src/values.rs), by an object
// literal per shape, or by a loop where code generation is refused: both give JSON.parse's
// objects, keys in the same order.
test('toJSON() gives the JSON text\'s objects, also with code generation refused', () => {
  const { spawnSync } = require('node:child_process')
  const files = ['face_pmh_two.xml', 'bulk_three_units.xml', 'medical_aid_a1.xml', 'insured_card_sjis.xml']
  const script = `const kohi = require(${JSON.stringify(path.join(__dirname, '..'))});
    const fs = require('node:fs'), path = require('node:path');
    process.stdout.write(JSON.stringify(${JSON.stringify(files)}.map((f) => kohi.parse(fs.readFileSync(path.join(${JSON.stringify(FIXTURES)}, f))).toJSON())))`
  const run = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '-e', script], { encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  const here = files.map((f) => JSON.parse(kohi.parse(fs.readFileSync(path.join(FIXTURES, f))).toJsonString()))
  assert.equal(run.stdout, JSON.stringify(here))
  assert.equal(JSON.stringify(files.map((f) => kohi.parse(fs.readFileSync(path.join(FIXTURES, f))).toJSON())), JSON.stringify(here))
})

// The reader takes what kohi's model never makes, as JSON.parse reads the same JSON: objects of
// any keys, `__proto__` as a key, a key twice, numbers as JavaScript reads them, texts longer
// than a one-byte length; and refuses a part that does not read to its end.
test('toJSON()\'s reader: any keys, __proto__, a key twice, long texts; a part read wrong throws', () => {
  const objectsOf = kohi[Symbol.for('kohi.toJSON.objectsOf')]
  const [NULL, FALSE, TRUE, TEXT, NUMBER, ARRAY, OBJECT, MAP, LATIN1, WIDE, WIDE_LONG, SAME] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
  const four = (n) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]
  const head = (n) => (n + 1 < 255 ? [n + 1] : [255, ...four(n)])
  const bytes = (s) => Array.from(s, (c) => c.charCodeAt(0))
  const units = (s) => Array.from({ length: s.length }, (_, i) => s.charCodeAt(i))
  // A part as src/values.rs writes it: the control string (its first shape's number, the table's
  // length, where the buffer's UTF-16 texts start, the table, the value), the short texts past
  // Latin-1, the buffer of longer texts (Latin-1, then UTF-16LE).
  const part = (shapes, value, { latin1 = '', short = '', wide = '', from = 0 } = {}) => {
    const table = shapes.flatMap((keys) => [...head(keys.length), ...keys.flatMap((k) => [...head(k.length), ...units(k).flatMap((u) => [u >> 8, u & 255])])])
    const all = [...four(from), ...four(table.length), ...four(latin1.length), ...table, ...value]
    let control = ''
    for (let i = 0; i < all.length; i += 4096) control += String.fromCharCode(...all.slice(i, i + 4096))
    return [control, short, Buffer.concat([Buffer.from(latin1, 'latin1'), Buffer.from(wide, 'utf16le')])]
  }
  const text = (s) => [TEXT, ...head(s.length), ...bytes(s)]
  const number = (s) => [NUMBER, ...head(s.length), ...bytes(s)]
  const wide = `${'見'.repeat(70000)}𠮷`
  const latin1 = 'Zoë '.repeat(100)
  const short = '見本𠮷'
  const value = [ARRAY, ...four(5),
    OBJECT, 0, 0, ...text('p'), ...number('1e300'),
    OBJECT, 0, 1, TRUE, FALSE, WIDE, ...head(4),
    MAP, ...four(2), ...text('__proto__'), ...number('-0.5'), WIDE_LONG, ...head(wide.length), ARRAY, ...four(0),
    OBJECT, 0, 2, LATIN1, ...head(latin1.length),
    OBJECT, 0, 1, SAME, ...head(1), SAME, ...head(0), NULL]
  const texts = { latin1, short, wide }
  const shapes = [['__proto__', 'a'], ['a', 'b', 'a'], ['long']]
  const json = `[{"__proto__":"p","a":1e300},{"a":true,"b":false,"a":${JSON.stringify(short)}},{"__proto__":-0.5,${JSON.stringify(wide)}:[]},{"long":${JSON.stringify(latin1)}},{"a":${JSON.stringify(short)},"b":"p","a":null}]`
  const read = objectsOf(part(shapes, value, texts), [])
  assert.deepEqual(read, JSON.parse(json))
  assert.equal(JSON.stringify(read), JSON.stringify(JSON.parse(json)))
  assert.equal(Object.getPrototypeOf(read[0]), Object.prototype)
  assert.equal(Object.getPrototypeOf(read[2]), Object.prototype)
  assert.equal(read[3].long.length, 400)
  // A value past the part's end, a tag never written, a shape the part does not have, a part
  // cut short, texts left unread.
  const internal = (e) => e.code === 'internal'
  assert.throws(() => objectsOf(part(shapes, [...value, NULL], texts), []), internal)
  assert.throws(() => objectsOf(part(shapes, [42]), []), internal)
  assert.throws(() => objectsOf(part(shapes, [OBJECT, 0, 3]), []), internal)
  assert.throws(() => objectsOf(part(shapes, [ARRAY, ...four(2), ...text('x'), SAME, ...head(1)]), []), internal)
  assert.throws(() => objectsOf(part(shapes, value.slice(0, -3), texts), []), internal)
  assert.throws(() => objectsOf(part(shapes, value, { ...texts, latin1: `${latin1}!` }), []), internal)
  assert.throws(() => objectsOf(part(shapes, value, { ...texts, short: `${short}!` }), []), internal)
  assert.throws(() => objectsOf(part(shapes, value, { ...texts, wide: `${wide}!` }), []), internal)
  // Builders kept from a part before: a part adds its shapes after them, from the number it
  // says; one that starts past them is refused.
  const kept = []
  objectsOf(part(shapes, [NULL]), kept)
  assert.deepEqual(objectsOf(part([['z']], [OBJECT, 0, 3, TRUE], { from: 3 }), kept), { z: true })
  assert.equal(kept.length, 4)
  assert.throws(() => objectsOf(part([['z']], [OBJECT, 0, 3, TRUE], { from: 5 }), kept), internal)
  // Fewer than the reader has: the builders from there on are replaced.
  assert.deepEqual(objectsOf(part([['y']], [OBJECT, 0, 0, FALSE]), kept), { y: false })
  assert.equal(kept.length, 1)
})

test('toJSON() and JSON.stringify(result) work past napi\'s 1,000,000-value cap (20,000 bulk units)', () => {
  const units = []
  for (let i = 0; i < 20000; i++) {
    units.push(`<BulkConfirmUnit><ReferenceNumber>${i}</ReferenceNumber><ProcessingResultStatus>1</ProcessingResultStatus>` +
      '<ResultList><ResultOfQualificationConfirmation><InsuredCardClassification>01</InsuredCardClassification>' +
      '<InsurerNumber>06139999</InsurerNumber><InsuredIdentificationNumber>1234</InsuredIdentificationNumber>' +
      '</ResultOfQualificationConfirmation></ResultList></BulkConfirmUnit>')
  }
  const xml = `<XmlMsg><MessageHeader><ProcessExecutionTime>20250604101544</ProcessExecutionTime></MessageHeader><MessageBody>${units.join('')}</MessageBody></XmlMsg>`
  const result = kohi.parse(Buffer.from(xml))
  const json = result.toJSON()
  assert.equal(json.patients.length, 20000)
  assert.equal(json.patients[19999].reference_number, '19999')
  assert.equal(json.patients[19999].qualifications[0].insurer_number.normalized, '06139999')
  assert.equal(JSON.stringify(result), result.toJsonString())
})

'use strict'
// kohi.writeRequest: a 被保険者証 query into req/, as `kohi request` writes it, read back by the
// parser; a field missing or malformed is named, never quoted.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const kohi = require('..')

const FIELDS = {
  medicalInstitutionCode: '1312345678',
  insurerNumber: '138057',
  insuredCardSymbol: '練馬〜東',
  insuredIdentificationNumber: '４０１２３',
  insuredBranchNumber: '00',
  birthdate: '1953-03-11',
  qualificationConfirmationDate: '20250604',
  limitApplicationConsent: true,
  arbitraryFileIdentifier: 'RC-20250604-0007',
}

const folder = () => fs.mkdtempSync(path.join(os.tmpdir(), 'kohi-request-'))

test('a request is written in Shift_JIS, on disk when the promise resolves, and reads back', async () => {
  const req = folder()
  const written = await kohi.writeRequest(req, { ...FIELDS, freePart: 'RC0007' })
  assert.equal(written, path.join(req, 'OQSsiquc01req_RC0007.xml'))
  assert.deepEqual(fs.readdirSync(req), ['OQSsiquc01req_RC0007.xml'])
  const bytes = fs.readFileSync(written)
  assert.ok(bytes.subarray(0, 40).toString('latin1').startsWith('<?xml version="1.0" encoding="Shift_JIS"'))
  const doc = kohi.parse(bytes).toJSON()
  assert.equal(doc.encoding, 'Shift_JIS')
  assert.equal(doc.header.arbitrary_file_identifier, 'RC-20250604-0007')
  assert.equal(doc.header.qualification_confirmation_date, '2025-06-04')
  const search = doc.patients[0].search_info
  assert.deepEqual(search.insured_identification_number, { normalized: '40123', raw: '４０１２３' })
  assert.equal(search.insured_card_symbol.raw, '練馬～東')
  assert.equal(search.birthdate, '1953-03-11')
  assert.equal(search.limit_application_certificate_related_cons_flg.code, '1')
  fs.rmSync(req, { recursive: true })
})

test('UTF-8 on request; requests of one program never share a name', async () => {
  const req = folder()
  const { qualificationConfirmationDate, ...fields } = FIELDS
  const names = await Promise.all([1, 2, 3].map(() => kohi.writeRequest(req, { ...fields, encoding: 'utf-8' })))
  assert.equal(new Set(names).size, 3)
  assert.equal(kohi.parse(fs.readFileSync(names[0])).encoding, 'UTF-8')
  fs.rmSync(req, { recursive: true })
})

test('a field missing or malformed is named, never quoted; nothing is written', async () => {
  const req = folder()
  for (const [name, field, bad] of [
    ['birthdate', 'birthdate', '1953-13-40'],
    ['insurer_number', 'insurerNumber', '12345'],
    ['medical_institution_code', 'medicalInstitutionCode', undefined],
  ]) {
    assert.throws(
      () => kohi.writeRequest(req, { ...FIELDS, [field]: bad }),
      (e) => e.code === 'invalid_request' && e.number === 11 && e.message.includes(name) && (bad === undefined || !e.message.includes(bad)),
      name,
    )
  }
  assert.throws(() => kohi.writeRequest(req, { ...FIELDS, insuredCardSymbol: '𠮷' }), (e) => e.code === 'unrepresentable_character')
  assert.throws(() => kohi.writeRequest(req, { ...FIELDS, birthDate: '19530311' }), (e) => e.code === 'invalid_argument' && e.message.includes('`birthDate`'))
  assert.throws(() => kohi.writeRequest(req, { ...FIELDS, encoding: 'euc-jp' }), (e) => e.code === 'invalid_setting')
  assert.deepEqual(fs.readdirSync(req), [])
  fs.rmSync(req, { recursive: true })
})

test('dates in full-width digits, as a database may hold them, write the same request; 和暦 is refused', async () => {
  const req = folder()
  const base = fs.readFileSync(await kohi.writeRequest(req, { ...FIELDS, freePart: 'A' }))
  const wide = await kohi.writeRequest(req, { ...FIELDS, birthdate: '１９５３／０３／１１', qualificationConfirmationDate: '２０２５０６０４', freePart: 'W' })
  assert.deepEqual(fs.readFileSync(wide), base)
  assert.throws(() => kohi.writeRequest(req, { ...FIELDS, birthdate: 'S28.03.11' }), (e) => e.code === 'invalid_request' && e.message.includes('birthdate'))
  fs.rmSync(req, { recursive: true })
})

test('the same name twice, and a results folder, are refused', async () => {
  const root = folder()
  await kohi.writeRequest(root, { ...FIELDS, freePart: 'A1' })
  await assert.rejects(kohi.writeRequest(root, { ...FIELDS, freePart: 'A1' }), (e) => e.kohiCode === 'io' && e.code === 'EEXIST')
  fs.mkdirSync(path.join(root, 'res'))
  await assert.rejects(kohi.writeRequest(path.join(root, 'res'), FIELDS), (e) => e.code === 'not_a_terminal_folder')
  fs.rmSync(root, { recursive: true })
})

test('the names writeRequest takes are those index.d.ts declares', () => {
  const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  const body = dts.match(/export interface RequestFields \{([\s\S]*?)\n\}/)[1]
  const declared = [...body.matchAll(/^ {2}(\w+)\?:/gm)].map((m) => m[1])
  assert.equal(declared.length, 11)
  const req = folder()
  for (const name of declared) assert.throws(() => kohi.writeRequest(req, { [name]: undefined }), (e) => e.code === 'invalid_request', name)
  fs.rmSync(req, { recursive: true })
})

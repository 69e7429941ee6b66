'use strict'
// `patient.kohi` objects are built in index.js from a flat list of values the addon writes:
// every field of every entry of every fixture must say what the golden says, under the names
// index.d.ts declares, in its order.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const kohi = require('..')
const { FIXTURES } = require('./helpers')

const camel = (snake) => snake.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())

function declaredFields(name) {
  const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  const body = dts.match(new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`))[1]
  return [...body.matchAll(/^ {2}(\w+): /gm)].map((m) => m[1])
}

test('kohi objects carry exactly the fields index.d.ts declares, in its order', () => {
  const declared = declaredFields('Kohi')
  assert.ok(declared.length >= 27, `${declared.length}`)
  assert.equal(require('../binding.js').KOHI_FIELDS, declared.length, 'the addon writes as many values as the interface declares')
  const [entry] = kohi.parse(fs.readFileSync(path.join(FIXTURES, 'face_pmh_two.xml'))).patients[0].kohi
  assert.deepEqual(Object.keys(entry), declared)
})

test('qualification objects carry exactly the fields index.d.ts declares, in its order', () => {
  const declared = declaredFields('Qualification')
  assert.ok(declared.length >= 59, `${declared.length}`)
  const [q] = kohi.parse(fs.readFileSync(path.join(FIXTURES, 'face_pmh_two.xml'))).patients[0].qualifications
  assert.deepEqual(Object.keys(q), declared)
})

const isoDate = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2})?$/

/** One golden (snake_case contract) value against the camelCase object's view of it. */
function sameAsGolden(object, key, value, where) {
  const name = camel(key)
  if (value !== null && typeof value === 'object' && 'normalized' in value) {
    // A number: normalised under its name, as sent under …Raw (where the object has it).
    assert.equal(object[name], value.normalized, where)
    if (`${name}Raw` in object) assert.equal(object[`${name}Raw`], value.raw, where)
    if ('valid' in value) assert.equal(object[`${name}Valid`], value.valid, where)
  } else if (typeof value === 'string' && (key.endsWith('_date') || key.endsWith('_time') || key === 'birthdate')) {
    // A date: ISO when it is one, else null with the text under …Raw (where the object has it).
    if (isoDate.test(value)) assert.equal(object[name], value, where)
    else {
      assert.equal(object[name], null, where)
      if (`${name}Raw` in object) assert.equal(object[`${name}Raw`], value, where)
    }
  } else {
    assert.deepEqual(object[name], value, where)
  }
}

const cases = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.xml')).sort()
for (const name of cases) {
  const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, name.replace(/\.xml$/, '.expected.json')), 'utf8'))
  if (expected.error) continue
  test(`kohi and qualification objects match the golden: ${name}`, () => {
    const patients = kohi.parse(fs.readFileSync(path.join(FIXTURES, name))).patients
    assert.equal(patients.length, expected.patients.length)
    patients.forEach((patient, p) => {
      const want = expected.patients[p].kohi
      const got = patient.kohi
      assert.equal(got.length, want.length)
      got.forEach((entry, i) => {
        for (const [key, value] of Object.entries(want[i])) {
          if (key === 'valid_from' || key === 'valid_to') {
            // JSON: the ISO date, or the raw text when it is not a date. Objects: both.
            const iso = entry[camel(key)]
            const raw = entry[`${camel(key)}Raw`]
            assert.equal(iso ?? raw, value, `${name} patient ${p} kohi ${i} ${key}`)
            if (iso !== null) assert.match(raw, /[\d０-９]/) // full-width digits are a date too
          } else {
            assert.deepEqual(entry[camel(key)], value, `${name} patient ${p} kohi ${i} ${key}`)
          }
        }
      })
      patient.qualifications.forEach((q, i) => {
        const golden = expected.patients[p].qualifications[i]
        for (const [key, value] of Object.entries(golden)) {
          sameAsGolden(q, key, value, `${name} patient ${p} qualification ${i} ${key}`)
        }
      })
      assert.equal(patient.qualifications.length, expected.patients[p].qualifications.length)
    })
  })
}

test('kohi objects are the same where code generation is refused (the loop fallback)', () => {
  const { spawnSync } = require('node:child_process')
  const script = `const kohi = require(${JSON.stringify(path.join(__dirname, '..'))});
    const fs = require('node:fs');
    process.stdout.write(JSON.stringify(kohi.parse(fs.readFileSync(${JSON.stringify(path.join(FIXTURES, 'face_pmh_two.xml'))})).patients[0].kohi))`
  const run = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '-e', script], { encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  const here = kohi.parse(fs.readFileSync(path.join(FIXTURES, 'face_pmh_two.xml'))).patients[0].kohi
  assert.equal(run.stdout, JSON.stringify(here))
})

// A value's length goes before it (src/lists.rs): one unit below 65,533 bytes of UTF-8, three
// from there on. A certificate name past it, with a surrogate pair, must come back whole, and every field
// after it in place, by the generated builder and by the loop fallback alike.
test('a 公費 text longer than 65,534 UTF-16 units reads back whole, and the fields after it', () => {
  const name = `${'受'.repeat(3)}${'A'.repeat(70000)}𠮷`
  const xml =
    '<XmlMsg><MessageHeader><ProcessExecutionTime>20250604101544</ProcessExecutionTime><QualificationConfirmationDate>20250604</QualificationConfirmationDate></MessageHeader>' +
    '<MessageBody><ProcessingResultStatus>1</ProcessingResultStatus><ResultList><ResultOfQualificationConfirmation><InsuredCardClassification>01</InsuredCardClassification>' +
    '<InsurerNumber>06139999</InsurerNumber><MedicalSubsidyConsFlg>1</MedicalSubsidyConsFlg><MedicalSubsidyCertificateList>' +
    `<MedicalSubsidyCertificateInfo><MedicalSubsidyInsurerNumber>52136017</MedicalSubsidyInsurerNumber><MedicalSubsidyRecipientNumber>1234566</MedicalSubsidyRecipientNumber><CertificationName>${name}</CertificationName>` +
    '<MedicalSubsidyValidStartDate>20250401</MedicalSubsidyValidStartDate><IncomeSegment>一般Ⅰ</IncomeSegment></MedicalSubsidyCertificateInfo>' +
    '</MedicalSubsidyCertificateList></ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>'
  const file = path.join(fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'kohi-')), 'long.xml')
  fs.writeFileSync(file, xml)
  const options = { limits: { text_bytes: 1 << 20 } }
  const [entry] = kohi.parse(Buffer.from(xml), options).patients[0].kohi
  assert.equal(entry.certificateName, name)
  assert.equal(entry.certificateName.length, 70005)
  assert.equal(entry.validFrom, '2025-04-01')
  assert.equal(entry.incomeSegment, '一般Ⅰ')
  assert.equal(entry.payerNumber, '52136017')
  assert.equal(entry.recipientNumberValid, true)
  assert.match(entry.path, /^XmlMsg\/MessageBody\//)
  const { spawnSync } = require('node:child_process')
  const script = `const kohi = require(${JSON.stringify(path.join(__dirname, '..'))});
    process.stdout.write(JSON.stringify(kohi.parse(require('node:fs').readFileSync(${JSON.stringify(file)}), ${JSON.stringify(options)}).patients[0].kohi))`
  const run = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '-e', script], { encoding: 'utf8', maxBuffer: 1 << 24 })
  assert.equal(run.status, 0, run.stderr)
  assert.equal(run.stdout, JSON.stringify([entry]))
})

// A 上限額 goes as its number of items and then its texts (src/lists.rs): past 65,534 items the
// number takes three units. Every item must come back in order, with a null amount, and the
// fields after it in place, by the generated builder and by the loop fallback alike.
test('a 上限額 with more than 65,534 items reads back whole, and the fields after it', () => {
  const items = Array.from({ length: 70000 }, (_, i) => `<Limit${i % 3}>${i}</Limit${i % 3}>`).join('')
  const xml =
    '<XmlMsg><MessageHeader><ProcessExecutionTime>20250604101544</ProcessExecutionTime></MessageHeader>' +
    '<MessageBody><ProcessingResultStatus>1</ProcessingResultStatus><ResultList><ResultOfQualificationConfirmation><InsuredCardClassification>01</InsuredCardClassification>' +
    '<MedicalSubsidyConsFlg>1</MedicalSubsidyConsFlg><MedicalSubsidyCertificateList><MedicalSubsidyCertificateInfo>' +
    '<MedicalSubsidyInsurerNumber>52136017</MedicalSubsidyInsurerNumber><MedicalSubsidyRecipientNumber>1234566</MedicalSubsidyRecipientNumber>' +
    `<MaxCopaymentAmount>${items}</MaxCopaymentAmount><MedicalSubsidyValidStartDate>20250401</MedicalSubsidyValidStartDate><IncomeSegment>一般Ⅰ</IncomeSegment>` +
    '</MedicalSubsidyCertificateInfo></MedicalSubsidyCertificateList></ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>'
  const file = path.join(fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'kohi-')), 'items.xml')
  fs.writeFileSync(file, xml)
  const options = { limits: { elements: 1 << 20, kept_bytes: 1 << 24 } }
  const [entry] = kohi.parse(Buffer.from(xml), options).patients[0].kohi
  assert.equal(entry.maxCopayment.amount, null)
  assert.equal(entry.maxCopayment.raw, null)
  assert.equal(entry.maxCopayment.items.length, 70000)
  assert.deepEqual(entry.maxCopayment.items[69999], { name: 'Limit0', value: '69999' })
  assert.ok(entry.maxCopayment.items.every((item, i) => item.name === `Limit${i % 3}` && item.value === String(i)))
  assert.equal(entry.validFrom, '2025-04-01')
  assert.equal(entry.incomeSegment, '一般Ⅰ')
  const { spawnSync } = require('node:child_process')
  const script = `const kohi = require(${JSON.stringify(path.join(__dirname, '..'))});
    process.stdout.write(JSON.stringify(kohi.parse(require('node:fs').readFileSync(${JSON.stringify(file)}), ${JSON.stringify(options)}).patients[0].kohi))`
  const run = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '-e', script], { encoding: 'utf8', maxBuffer: 1 << 26 })
  assert.equal(run.status, 0, run.stderr)
  assert.equal(run.stdout, JSON.stringify([entry]))
})

// A bulk result's `kohi` getters read their values a block of patients at a time (index.js,
// KohiBlocks): every patient must get its own entries whatever the order it is read in, across
// block boundaries, with patients of none, one and two 公費 mixed.
test('bulk patients get their own kohi in any reading order, across blocks', async () => {
  const certificate = (payer, recipient) =>
    `<MedicalSubsidyCertificateInfo><MedicalSubsidyInsurerNumber>${payer}</MedicalSubsidyInsurerNumber>` +
    `<MedicalSubsidyRecipientNumber>${recipient}</MedicalSubsidyRecipientNumber><CertificationName>受給者証</CertificationName>` +
    '<MedicalSubsidyValidStartDate>20250401</MedicalSubsidyValidStartDate></MedicalSubsidyCertificateInfo>'
  const units = []
  const n = 150
  for (let i = 0; i < n; i++) {
    const count = [0, 1, 2, 0, 1][i % 5] * (i % 7 === 6 ? 0 : 1)
    const list = count === 0 ? '' : `<MedicalSubsidyCertificateList>${certificate('88131016', `K${i}a`)}${count === 2 ? certificate('52136017', '1234566') : ''}</MedicalSubsidyCertificateList>`
    units.push(`<BulkConfirmUnit><ReferenceNumber>${i}</ReferenceNumber><ProcessingResultStatus>1</ProcessingResultStatus>` +
      '<ResultList><ResultOfQualificationConfirmation><InsuredCardClassification>01</InsuredCardClassification>' +
      `<InsurerNumber>06139999</InsurerNumber><MedicalSubsidyConsFlg>1</MedicalSubsidyConsFlg>${list}` +
      '</ResultOfQualificationConfirmation></ResultList></BulkConfirmUnit>')
  }
  const xml = `<XmlMsg><MessageHeader><ProcessExecutionTime>20250604101544</ProcessExecutionTime></MessageHeader><MessageBody>${units.join('')}</MessageBody></XmlMsg>`
  const result = kohi.parse(Buffer.from(xml))
  const expected = result.toJSON().patients.map((p) => p.kohi.map((k) => [k.payer_number, k.recipient_number, k.path]))
  assert.equal(expected.filter((k) => k.length === 2).length > 10 && expected.filter((k) => k.length === 0).length > 10, true)
  const orders = [
    [...Array(n).keys()].reverse(),
    [...Array(n).keys()].map((i) => (i * 67) % n),
    [...Array(n).keys()],
  ]
  for (const order of orders) {
    const patients = result.patients
    for (const i of order) {
      const got = patients[i].kohi.map((k) => [k.payerNumber, k.recipientNumber, k.path])
      assert.deepEqual(got, expected[i], `patient ${i}`)
      assert.equal(patients[i].kohi[0]?.recipientNumber, expected[i][0]?.[1])
    }
  }
  // A stream's batches are results of their own: the same entries.
  const file = path.join(fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'kohi-')), 'bulk.xml')
  fs.writeFileSync(file, xml)
  const streamed = []
  for await (const p of kohi.stream(file)) streamed.push(p.kohi.map((k) => [k.payerNumber, k.recipientNumber, k.path]))
  fs.rmSync(path.dirname(file), { recursive: true })
  assert.deepEqual(streamed, expected)
})

// When the addon's values and index.js's reading of them disagree (kohi's fault, never the
// input's), reading 公費 throws the typed `internal` error instead of returning entries that
// could be shifted or another patient's; made here by corrupting the addon's values in a
// child process, for one patient (kohiEntry) and for a bulk result's block (KohiBlocks).
test('a 公費 list the addon and index.js read differently throws the typed internal error', () => {
  const { spawnSync } = require('node:child_process')
  const dir = path.join(__dirname, '..')
  const script = `const native = require(${JSON.stringify(path.join(dir, 'binding.js'))});
    const R = native.KohiResult.prototype;
    const head = R.patientsHead, block = R.kohiValuesIn;
    R.patientsHead = function () { const h = head.call(this); return h.length > 2 ? h.slice(0, -1) : h };
    R.kohiValuesIn = function (a, b) { return block.call(this, a, b) + 'x' };
    const kohi = require(${JSON.stringify(dir)});
    const fs = require('node:fs');
    const out = [];
    for (const [file, read] of [['face_pmh_two.xml', (r) => r.patients[0].kohi], ['bulk_three_units.xml', (r) => r.patients.map((p) => p.kohi)]]) {
      try { read(kohi.parse(fs.readFileSync(require('node:path').join(${JSON.stringify(FIXTURES)}, file)))); out.push(null) }
      catch (e) { out.push([e.code, e.kohiCode, e.message]) }
    }
    process.stdout.write(JSON.stringify(out))`
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  const [face, bulk] = JSON.parse(run.stdout)
  assert.deepEqual(face.slice(0, 2), ['internal', 'internal'])
  assert.match(face[2], /a 公費 entry does not read to its length.*please report it/)
  assert.deepEqual(bulk.slice(0, 2), ['internal', 'internal'])
  assert.match(bulk[2], /the 公費 values of a block do not add up/)
})

// Reading a result's patients and the 公費 of a result of one patient is one call into the
// addon (src/objects.rs, patientsHead): two until 2026-12-06.
test("a face result's patients and 公費 are read with one call into the addon", async () => {
  const { spawnSync } = require('node:child_process')
  const dir = path.join(__dirname, '..')
  const script = `const native = require(${JSON.stringify(path.join(dir, 'binding.js'))});
    const R = native.KohiResult.prototype;
    const calls = {};
    for (const name of Object.getOwnPropertyNames(R)) {
      const method = Object.getOwnPropertyDescriptor(R, name).value;
      if (typeof method !== 'function' || name === 'constructor') continue;
      R[name] = function (...args) { calls[name] = (calls[name] ?? 0) + 1; return method.apply(this, args) };
    }
    const kohi = require(${JSON.stringify(dir)});
    const file = require('node:path').join(${JSON.stringify(FIXTURES)}, 'face_pmh_two.xml');
    const payers = (result) => result.patients.flatMap((p) => p.kohi.map((k) => k.payerNumber));
    (async () => {
      const parsed = payers(kohi.parse(require('node:fs').readFileSync(file)));
      const fromParse = { ...calls };
      const read = payers(await kohi.parseFile(file));
      process.stdout.write(JSON.stringify({ parsed, fromParse, read, both: calls }))
    })()`
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  const out = JSON.parse(run.stdout)
  const golden = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'face_pmh_two.expected.json'), 'utf8'))
  const expected = golden.patients.flatMap((p) => p.kohi.map((k) => k.payer_number))
  assert.equal(expected.length, 2)
  assert.deepEqual([out.parsed, out.read], [expected, expected])
  assert.deepEqual(out.fromParse, { patientsHead: 1 })
  assert.deepEqual(out.both, { patientsHead: 2 })
})

test('new Patient() outside kohi is refused with invalid_argument', () => {
  const result = kohi.parse(fs.readFileSync(path.join(FIXTURES, 'face_pmh_two.xml')))
  const Patient = result.patients[0].constructor
  assert.throws(() => new Patient(), (e) => e instanceof TypeError && e.code === 'invalid_argument' && e.kohiCode === 'invalid_argument')
})

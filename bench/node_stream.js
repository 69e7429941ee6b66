'use strict'
// Node streaming cost per patient: `for await` over stream() (batches of 256), one next() per
// patient, and the whole-file parse, on a generated bulk file of N units (default 100,000).
// Interleaved rounds, medians. Usage: node bench/node_stream.js [units]   (after npm run build)
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const kohi = require(path.join(__dirname, '..', 'bindings', 'node'))

const units = Number(process.argv[2] || 100000)
const unit = (i) =>
  `<BulkConfirmUnit><ReferenceNumber>${String(i).padStart(8, '0')}</ReferenceNumber><ProcessingResultStatus>1</ProcessingResultStatus>` +
  '<ResultList><ResultOfQualificationConfirmation><InsuredCardClassification>01</InsuredCardClassification>' +
  `<InsurerNumber>06139999</InsurerNumber><InsuredIdentificationNumber>${i}</InsuredIdentificationNumber>` +
  '<Birthdate>19800101</Birthdate></ResultOfQualificationConfirmation></ResultList></BulkConfirmUnit>'
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kohi-stream-bench-'))
const file = path.join(dir, 'bulk.xml')
fs.writeFileSync(file, '<XmlMsg><MessageHeader><ProcessExecutionTime>20250604101544</ProcessExecutionTime></MessageHeader><MessageBody>' +
  Array.from({ length: units }, (_, i) => unit(i)).join('') + '</MessageBody></XmlMsg>')

const modes = {
  async batched() {
    let n = 0
    for await (const patient of kohi.stream(file)) n += patient ? 1 : 0
    return n
  },
  async oneByOne() {
    const s = kohi.stream(file)
    let n = 0
    for (let p = await s.next(); p !== null; p = await s.next()) n++
    return n
  },
  async whole() {
    return kohi.parse(fs.readFileSync(file)).patients.length
  },
}

async function main() {
  const times = Object.fromEntries(Object.keys(modes).map((m) => [m, []]))
  for (let round = 0; round < 5; round++) {
    for (const [name, run] of Object.entries(modes)) {
      const start = process.hrtime.bigint()
      const n = await run()
      if (n !== units) throw new Error(`${name}: ${n} patients, expected ${units}`)
      times[name].push(Number(process.hrtime.bigint() - start) / 1e6)
    }
  }
  const median = (v) => v.slice().sort((a, b) => a - b)[v.length >> 1]
  const whole = median(times.whole)
  for (const [name, v] of Object.entries(times)) {
    const ms = median(v)
    const extra = name === 'whole' ? '' : `, ${(((ms - whole) * 1000) / units).toFixed(2)} µs per patient over the whole parse`
    console.log(`${name}: ${ms.toFixed(0)} ms for ${units} units${extra}`)
  }
  fs.rmSync(dir, { recursive: true })
}
main()

'use strict'
// Node streaming cost per patient: `for await` over stream() (batches of 256, the next read
// ahead on libuv's pool), one next() per patient (from the same batches), and the whole-file parse, on a generated bulk
// file of N units (default 100,000). Nine interleaved rounds, medians of the elapsed time (what the
// loop waits) and of the process's CPU time (all threads: the reading on the pool included).
// Usage: node bench/node_stream.js [units]   (after npm run build)
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const kohi = require(path.join(__dirname, '..', 'bindings', 'node'))

const units = Number(process.argv[2] || 100000)
const ROUNDS = 9
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
  const cpu = Object.fromEntries(Object.keys(modes).map((m) => [m, []]))
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(modes)) {
      const start = process.hrtime.bigint()
      const cpuStart = process.cpuUsage()
      const n = await run()
      if (n !== units) throw new Error(`${name}: ${n} patients, expected ${units}`)
      const used = process.cpuUsage(cpuStart)
      times[name].push(Number(process.hrtime.bigint() - start) / 1e6)
      cpu[name].push((used.user + used.system) / 1e3)
    }
  }
  const median = (v) => v.slice().sort((a, b) => a - b)[v.length >> 1]
  const perPatient = (ms, whole) => (((ms - whole) * 1000) / units).toFixed(2)
  for (const name of Object.keys(modes)) {
    const [ms, cpuMs] = [median(times[name]), median(cpu[name])]
    const extra =
      name === 'whole'
        ? ''
        : `, ${perPatient(ms, median(times.whole))} µs per patient over the whole parse` +
          ` (CPU: ${cpuMs.toFixed(0)} ms, ${perPatient(cpuMs, median(cpu.whole))} µs per patient over it)`
    console.log(`${name}: ${ms.toFixed(0)} ms for ${units} units${name === 'whole' ? ` (CPU: ${cpuMs.toFixed(0)} ms)` : ''}${extra}`)
  }
  fs.rmSync(dir, { recursive: true })
}
main()

'use strict'
// Streams a bulk file through the Node binding, reading every patient's 公費, and prints the
// process's peak RSS in MB. The hardening step compares a 10,000- and a 100,000-unit file: a
// stream's memory must not grow with the file (a patient's native memory is freed only when
// the garbage collector gets to it, so a change in how patients hold their documents can
// keep them far longer than a stream may).   node scripts/node_stream_rss.js FILE
const path = require('node:path')
const kohi = require(path.join(__dirname, '..', 'bindings', 'node'))

async function main() {
  let patients = 0
  for await (const patient of kohi.stream(process.argv[2], { maxSize: 2 ** 30 })) {
    patient.kohi
    patients++
  }
  console.log(JSON.stringify({ patients, max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) }))
}
main()

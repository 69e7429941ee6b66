#!/usr/bin/env node
// Stream a bulk (一括照会) result one patient at a time, in memory that does not grow with the
// file, then read what the file said besides its patients (its remainder): the bulk status, and
// the header of a failed request, which has no patient at all.
//   node examples/node/stream_bulk.js res/OQSmuquc02res_0001.xml
'use strict'
const kohi = require('../../bindings/node')

async function streamFile(file) {
  console.log(file)
  const stream = kohi.stream(file)
  let seen = 0
  try {
    for await (const patient of stream) {
      seen++
      const status = patient.processingResultStatus?.code ?? '-'
      // patient.result is the batch it was read in: its units' warnings, each path naming its unit.
      console.log(`  patient ${seen}: status ${status}, ${patient.kohi.length} 公費`)
    }
  } catch (error) {
    // The patients before the fault were handed out; the message never holds patient data.
    console.log(`  after ${seen} patient(s):\n  error ${error.code}: ${error.message}`)
    return 1
  }
  const rest = stream.remainder
  const bulk = rest.bulk ?? {}
  console.log(
    `  ${seen} patient(s); file: segment ${rest.header.segmentOfResult?.code ?? '-'}, ` +
      `error code ${rest.header.errorCode ?? '-'}, reception ${bulk.reception_number ?? '-'}, ` +
      `bulk status ${bulk.processing_result_status?.code ?? '-'}`,
  )
  return 0
}

async function main(paths) {
  let failed = 0
  for (const file of paths) failed += await streamFile(file)
  return failed ? 1 : 0
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code })

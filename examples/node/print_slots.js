#!/usr/bin/env node
// Print 第1〜第4公費 for the onshi result files given on the command line.
//   node examples/node/print_slots.js face/OQSsiquc01res_face_0001.xml
'use strict'
const kohi = require('../../bindings/node')

async function main(paths) {
  let failed = 0
  for (const file of paths) {
    console.log(file)
    let result
    try {
      result = await kohi.parseFile(file) // off the main thread
    } catch (error) {
      // error.code is stable; the message says where, never patient data.
      console.log(`  error ${error.code}: ${error.message}`)
      failed++
      continue
    }
    result.patients.forEach((patient, i) => {
      console.log(`  patient ${i + 1}: PMH ${patient.pmh}`)
      for (const k of patient.kohi) {
        const slot = k.slot ? `第${k.slot}公費` : '(枠外)'
        const name = k.program ?? k.certificateName ?? '地方単独'
        console.log(`    ${slot} ${k.payerNumber} ${k.recipientNumber} ${name} ${k.validFrom}..${k.validTo}`)
      }
    })
  }
  return failed ? 1 : 0
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code })

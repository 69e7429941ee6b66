#!/usr/bin/env node
// Node: kohi.parse vs fast-xml-parser and xml-js, on the same bytes. Prints JSON lines.
// Peers do the equivalent 公費 extraction (see python_peers.py); Shift_JIS is decoded with
// TextDecoder first, as a vendor must (the peers take strings only).
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const kohi = require(process.env.KOHI_NODE || path.join(__dirname, '..', '..', 'bindings', 'node'))
const { XMLParser } = require('fast-xml-parser')
const convert = require('xml-js')
const { setImmediate: tick } = require('node:timers/promises')

const ORDER = '13 14 18 29 30 10 11 20 21 15 16 24 22 28 17 79 19 23 52 54 51 38 53 66 62 25 12'.split(' ')
const normalize = (s) => String(s ?? '').replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).trim()
function checkDigitOk(n) {
  if (!/^\d{8}$/.test(n)) return false
  let total = 0
  for (let i = 0; i < 7; i++) {
    const p = Number(n[6 - i]) * (i % 2 === 0 ? 2 : 1)
    total += Math.floor(p / 10) + (p % 10)
  }
  return (10 - (total % 10)) % 10 === Number(n[7])
}
function toKohi(certs) {
  return certs
    .map(([payer, recipient, from, to]) => {
      const p = normalize(payer)
      return { payer: p, recipient: normalize(recipient), valid: checkDigitOk(p), from, to, weight: ORDER.includes(p.slice(0, 2)) ? ORDER.indexOf(p.slice(0, 2)) : 999 }
    })
    .sort((a, b) => a.weight - b.weight)
}
const list = (x) => (x === undefined ? [] : Array.isArray(x) ? x : [x])

const fxp = new XMLParser({ ignoreAttributes: false, parseTagValue: false })
function fastXmlExtract(text) {
  const doc = fxp.parse(text)
  const certs = []
  for (const r of list(doc.XmlMsg.MessageBody.ResultList?.ResultOfQualificationConfirmation)) {
    for (const c of list(r.MedicalSubsidyCertificateList?.MedicalSubsidyCertificateInfo)) {
      certs.push([c.MedicalSubsidyInsurerNumber, c.MedicalSubsidyRecipientNumber, c.MedicalSubsidyValidStartDate, c.MedicalSubsidyValidEndDate])
    }
  }
  return toKohi(certs)
}
function xmlJsExtract(text) {
  const doc = convert.xml2js(text, { compact: true })
  const certs = []
  for (const r of list(doc.XmlMsg.MessageBody.ResultList?.ResultOfQualificationConfirmation)) {
    for (const c of list(r.MedicalSubsidyCertificateList?.MedicalSubsidyCertificateInfo)) {
      const t = (e) => e?._text
      certs.push([t(c.MedicalSubsidyInsurerNumber), t(c.MedicalSubsidyRecipientNumber), t(c.MedicalSubsidyValidStartDate), t(c.MedicalSubsidyValidEndDate)])
    }
  }
  return toKohi(certs)
}

// Every batch of 50 yields to the event loop, as any application does between files: Node runs
// napi finalizers (which free kohi's parsed documents) from the event loop, so a loop that never
// yields would measure a heap filling up, not parsing. The peers pay the same yield.
async function rate(fn, windows = 5, seconds = 0.4) {
  for (let i = 0; i < 500; i++) fn()
  await tick()
  // The median of several windows: one slow window (a GC, the machine) does not decide it.
  const rates = []
  for (let w = 0; w < windows; w++) {
    let n = 0
    const start = process.hrtime.bigint()
    let elapsed = 0
    while (elapsed < seconds) {
      for (let i = 0; i < 50; i++) fn()
      n += 50
      await tick()
      elapsed = Number(process.hrtime.bigint() - start) / 1e9
    }
    rates.push(n / elapsed)
  }
  return rates.sort((a, b) => a - b)[Math.floor(windows / 2)]
}

async function main() {
  for (const arg of process.argv.slice(2)) {
    const [label, file, encoding] = arg.split(':')
    const data = fs.readFileSync(file)
    const decode = () => new TextDecoder(encoding === 'Shift_JIS' ? 'shift_jis' : 'utf-8').decode(data)
    const peers = {
      'kohi.parse': () => kohi.parse(data).patients[0].kohi,
      'fast-xml-parser + extraction': () => fastXmlExtract(decode()),
      'xml-js + extraction': () => xmlJsExtract(decode()),
    }
    for (const [tool, fn] of Object.entries(peers)) {
      const docs = await rate(fn)
      console.log(JSON.stringify({ language: 'Node', file: label, bytes: data.length, tool, docs_per_s: Math.round(docs), mb_per_s: Math.round((docs * data.length) / 1e5) / 10 }))
    }
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})

#!/usr/bin/env node
// Node: kohi.parse vs saxes, fast-xml-parser and xml-js, on the same bytes. Prints JSON lines.
// Every peer does the work of bench/rust's peers (see python_peers.py for the rule) and is checked
// against kohi's own 公費 before it is timed. Shift_JIS is decoded with TextDecoder first, as a
// vendor must (the peers take strings only).
//
// Time is the process's CPU time (process.cpuUsage). Rounds are interleaved: each round times every
// tool once, in turn (each round starting one tool later), over a window; a tool's figure is the
// median of its rounds. The loop yields to the event loop after each batch of calls (about a
// millisecond of work, one call for a large file): Node runs napi finalizers (which free kohi's
// parsed documents) from the event loop, so a loop that never yields would measure a heap
// filling up. The peers pay the same yields.
//
// Each window runs in a Node process of its own (this script with --child), after a warm-up in
// that process (up to 0.2 s of the same calls, untimed; none for a file of 32 MiB or more, whose
// one call is long beside compiling its code), so a tool pays for collecting its own garbage and
// nobody else's. In one process part of each tool's garbage was collected in the windows of the
// tools after it. On a 100,000-unit file kohi's figure was 0.80 s beside the peers, 0.38 s with
// only kohi's tools (xml-js and fast-xml-parser leave gigabytes of objects on that file). On the
// face result (same build, both ways twice, 2026-12-06): kohi 7.2–7.5 µs in one process, 6.5–6.6
// µs in processes of their own; saxes 25.2–25.5 against 26.8–27.1 µs, fast-xml-parser 109.5–110.4
// against 125.7–127.6 µs. --fresh-from BYTES times the files below BYTES the old way, every
// window in this process, for comparison.
//
//   node node_peers.js [--rounds N] [--window S] [--fresh-from BYTES] LABEL:PATH:ENCODING...
//   node node_peers.js --window S --child TOOL LABEL:PATH:ENCODING   (one window, its seconds)
'use strict'
const fs = require('node:fs')
const { execFileSync } = require('node:child_process')
const path = require('node:path')
const kohi = require(process.env.KOHI_NODE || path.join(__dirname, '..', '..', 'bindings', 'node'))
const { XMLParser } = require('fast-xml-parser')
const convert = require('xml-js')
const { SaxesParser } = require('saxes')
const { setImmediate: tick } = require('node:timers/promises')

const ORDER = '13 14 18 29 30 10 11 20 21 15 16 24 22 28 17 79 19 23 52 54 51 38 53 66 62 25 12'.split(' ')
const normalize = (s) =>
  String(s ?? '')
    .replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/^[ \u3000\t\r\n]+|[ \u3000\t\r\n]+$/g, '')
function checkDigitOk(n) {
  if (!/^\d{8}$/.test(n)) return false
  let total = 0
  for (let i = 0; i < 7; i++) {
    const p = Number(n[6 - i]) * (i % 2 === 0 ? 2 : 1)
    total += Math.floor(p / 10) + (p % 10)
  }
  return (10 - (total % 10)) % 10 === Number(n[7])
}
function entry(payer, recipient, from, to) {
  const p = normalize(payer)
  return { payer: p, recipient: normalize(recipient), valid: checkDigitOk(p), from: from ?? '', to: to ?? '' }
}
const weight = (e) => {
  const i = ORDER.indexOf(e.payer.slice(0, 2))
  return i < 0 ? ORDER.length : i
}
const ordered = (entries) => entries.sort((a, b) => weight(a) - weight(b))
const list = (x) => (x === undefined || x === null ? [] : Array.isArray(x) ? x : [x])

/** The 医療扶助 entry of a result read into an object of child texts (`t(name)`), or none. */
function medicalAid(t, ticket) {
  if ((t('InsuredCardClassification') ?? '').trim() !== 'A1') return null
  const payer = t('PublicExpenseNumber') ?? t('InsurerNumber')
  const recipient = t('BeneficiaryNumber') ?? t('InsuredIdentificationNumber')
  return ticket
    ? entry(payer, recipient, ticket.from, ticket.to)
    : entry(payer, recipient, t('QualificationDate'), t('DisqualificationDate'))
}

/** Walks a parsed object tree; `text(node, name)` reads a child's text in that parser's shape. */
function treeExtract(body, text) {
  const out = []
  for (const unit of [body, ...list(body.BulkConfirmUnit)]) {
    const patient = []
    for (const r of list(unit.ResultList?.ResultOfQualificationConfirmation)) {
      const first = list(r.PublicExpenseResultList?.MedicalTicketInfo)[0]
      const ticket = first && { from: text(first, 'MedicalTicketValidDate'), to: text(first, 'MedicalTicketExpirationDate') }
      const aid = medicalAid((name) => text(r, name), ticket)
      if (aid) patient.push(aid)
      for (const c of list(r.MedicalSubsidyCertificateList?.MedicalSubsidyCertificateInfo)) {
        const t = (name) => text(c, name)
        patient.push(entry(t('MedicalSubsidyInsurerNumber'), t('MedicalSubsidyRecipientNumber'), t('MedicalSubsidyValidStartDate'), t('MedicalSubsidyValidEndDate')))
      }
    }
    out.push(...ordered(patient))
  }
  return out
}

const fxp = new XMLParser({ ignoreAttributes: false, parseTagValue: false, trimValues: false })
const fastXmlExtract = (text) => treeExtract(fxp.parse(text).XmlMsg.MessageBody, (n, name) => n[name])
const xmlJsExtract = (text) =>
  treeExtract(convert.xml2js(text, { compact: true }).XmlMsg.MessageBody, (n, name) => n[name]?._text ?? (n[name] ? '' : undefined))

/** saxes: an event loop that keeps only the wanted texts, as the Rust hand extractor does. */
function saxesExtract(text) {
  const out = []
  let patient = []
  let r = null
  let cert = null
  let ticket = null
  let tickets = 0
  let leaf = null
  let value = ''
  const parser = new SaxesParser()
  parser.on('opentag', (node) => {
    switch (node.name) {
      case 'BulkConfirmUnit':
        out.push(...ordered(patient))
        patient = []
        break
      case 'ResultOfQualificationConfirmation':
        r = {}
        tickets = 0
        ticket = null
        break
      case 'MedicalSubsidyCertificateInfo':
        cert = {}
        break
      case 'MedicalTicketInfo':
        tickets += 1
        if (tickets === 1) ticket = {}
        break
      default:
        leaf = node.name
        value = ''
    }
  })
  parser.on('text', (t) => {
    if (leaf !== null) value += t
  })
  parser.on('closetag', (node) => {
    const name = node.name
    if (name === leaf) {
      if (cert) cert[name] = value
      else if (name === 'MedicalTicketValidDate' && ticket && tickets === 1) ticket.from = value
      else if (name === 'MedicalTicketExpirationDate' && ticket && tickets === 1) ticket.to = value
      else if (r) r[name] = value
      leaf = null
      return
    }
    if (name === 'MedicalSubsidyCertificateInfo') {
      patient.push(entry(cert.MedicalSubsidyInsurerNumber, cert.MedicalSubsidyRecipientNumber, cert.MedicalSubsidyValidStartDate, cert.MedicalSubsidyValidEndDate))
      r.certs = (r.certs ?? 0) + 1
      cert = null
    } else if (name === 'ResultOfQualificationConfirmation') {
      const aid = medicalAid((n) => r[n], ticket)
      if (aid) patient.splice(patient.length - (r.certs ?? 0), 0, aid)
      r = null
    } else if (name === 'BulkConfirmUnit' || name === 'MessageBody') {
      out.push(...ordered(patient))
      patient = []
    }
  })
  parser.write(text).close()
  return out
}

const kohiEntries = (doc) =>
  doc.patients.flatMap((p) =>
    p.kohi.map((k) => ({ payer: k.payerNumber ?? '', recipient: k.recipientNumber ?? '', valid: k.payerNumberValid === true, from: k.validFromRaw ?? '', to: k.validToRaw ?? '' })),
  )

const cpuSeconds = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

// CPU seconds per call over a window. Calls run in batches worth about a millisecond; after
// each batch the loop yields (finalizers run) and reads the clock. Yielding and reading after
// every call added about 2.3 µs (setImmediate) and 0.6 µs (process.cpuUsage) to every call of
// every tool: a quarter of kohi's face figure, pulling every ratio towards 1.
async function cpuPerCall(fn, window) {
  const start = cpuSeconds()
  fn()
  let calls = 1
  const first = cpuSeconds() - start
  const batch = first <= 0 ? 1000 : Math.max(1, Math.min(1000, Math.floor(1e-3 / first)))
  for (;;) {
    await tick()
    const spent = cpuSeconds() - start
    if (spent >= window) return spent / calls
    for (let i = 0; i < batch; i++) fn()
    calls += batch
  }
}

// Every tool on one file's bytes.
function peersOn(data, encoding) {
  const decode = () => new TextDecoder(encoding === 'Shift_JIS' ? 'shift_jis' : 'utf-8').decode(data)
  const options = { maxSize: 2 ** 30 }
  return {
    'kohi.parse': () => kohi.parse(data, options).patients.map((p) => p.kohi),
    'kohi.parse + toJSON()': () => kohi.parse(data, options).toJSON(),
    'saxes + extraction': () => saxesExtract(decode()),
    'fast-xml-parser + extraction': () => fastXmlExtract(decode()),
    'xml-js + extraction': () => xmlJsExtract(decode()),
  }
}

// A file this large is one call a window, not warmed up first.
const BIG = 2 ** 25

// One window of `name` in a process of its own (this script with --child): its seconds per call.
function freshWindow(name, arg, window) {
  const out = execFileSync(process.execPath, [__filename, '--window', String(window), '--child', name, arg], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  })
  const seconds = Number(out.trim())
  if (!(seconds > 0)) throw new Error(`${name} on ${arg}: no time from its process (${JSON.stringify(out)})`)
  return seconds
}

async function main(argv) {
  let rounds = 5
  let window = 0.3
  let freshFrom = 0
  let child = null
  while (argv[0]?.startsWith('--')) {
    const [flag, value] = argv.splice(0, 2)
    if (flag === '--rounds') rounds = Number(value)
    else if (flag === '--window') window = Number(value)
    else if (flag === '--fresh-from') freshFrom = Number(value)
    else if (flag === '--child') child = value
    else throw new Error(`unknown flag ${flag}`)
  }
  if (child !== null) {
    const [, file, encoding] = argv[0].split(':')
    const data = fs.readFileSync(file)
    const fn = peersOn(data, encoding)[child]
    if (data.length < BIG) await cpuPerCall(fn, Math.min(window, 0.2))
    console.log(await cpuPerCall(fn, window))
    return
  }
  for (const arg of argv) {
    const [label, file, encoding] = arg.split(':')
    const data = fs.readFileSync(file)
    const peers = peersOn(data, encoding)
    const fresh = data.length >= freshFrom
    // A fair race only: every extracting peer finds exactly kohi's 公費.
    const expected = JSON.stringify(kohiEntries(kohi.parse(data, { maxSize: 2 ** 30 })))
    for (const name of ['saxes + extraction', 'fast-xml-parser + extraction', 'xml-js + extraction']) {
      if (JSON.stringify(peers[name]()) !== expected) throw new Error(`${name} disagrees with kohi on ${label}`)
    }
    // Warm-up (the JIT compiles the peers' code, napi's first calls), then the rounds. A window
    // in a process of its own is warmed up in that process (the --child branch above).
    if (!fresh) for (const fn of Object.values(peers)) await cpuPerCall(fn, Math.max(window, 0.2))
    const seconds = Object.fromEntries(Object.keys(peers).map((name) => [name, []]))
    // Each round starts one tool later: a window pays for collections of the garbage the tool
    // before it left (and kohi's documents are freed by finalizers that run when V8 collects),
    // so in a fixed order kohi's window always came after xml-js's, the heaviest garbage.
    const entries = Object.entries(peers)
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < entries.length; i++) {
        const [name, fn] = entries[(round + i) % entries.length]
        seconds[name].push(fresh ? freshWindow(name, arg, window) : await cpuPerCall(fn, window))
      }
    }
    for (const [tool, values] of Object.entries(seconds)) {
      const sorted = values.sort((a, b) => a - b)
      const s = sorted[Math.floor(values.length / 2)]
      const us = (x) => Math.round(x * 1e9) / 1e3
      // cpu_us_fastest/slowest: the fastest and slowest round, how far the rounds were apart.
      console.log(
        JSON.stringify({ language: 'Node', file: label, bytes: data.length, tool, cpu_us: us(s), docs_per_s: Math.round(1 / s), mb_per_s: Math.round(data.length / s / 1e5) / 10, cpu_us_fastest: us(sorted[0]), cpu_us_slowest: us(sorted[sorted.length - 1]) }),
      )
    }
  }
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e)
  process.exit(1)
})

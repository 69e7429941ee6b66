// Typed usage of the public API: `tsc --noEmit` must accept this against index.d.ts.
import * as kohi from '../../index'

const result: kohi.KohiResult = kohi.parse(new Uint8Array([60]), { aliases: { Name: ['Shimei'] }, maxSize: 1024 })
const encoding: 'UTF-8' | 'Shift_JIS' = result.encoding
const segment: string | undefined = result.header.segmentOfResult?.code
for (const patient of result.patients) {
  const pmh: 'received' | 'received_empty' | 'absent' | 'received_unread' = patient.pmh
  for (const k of patient.kohi) {
    const slot: number | null = k.slot
    const payer: string | null = k.payerNumber
    const source: 'pmh' | 'medical_aid' = k.source
    const scope: 'national' | 'local' = k.scope
    const cap: string | null | undefined = k.maxCopayment?.amount
    void [slot, payer, source, scope, cap, pmh]
  }
  const changes: Array<Record<string, unknown>> = kohi.reconcile([], patient, '2025-06-04')
  void changes
}
const check: kohi.NumberCheck = kohi.checkNumber('payer', '54016027')
const digit: number | null = check.expectedCheckDigit
const text: string = result.toJsonString()
const promise: Promise<kohi.KohiResult> = kohi.parseFile('x.xml', { aliases: '{}' })
const abortable: Promise<kohi.KohiResult> = kohi.parseFile('x.xml', { signal: AbortSignal.timeout(1000), maxSize: 1 << 20 })
const surveyed: Promise<kohi.Survey> = kohi.surveyFiles(['res/x.xml'], { layout: '{}' })
void [encoding, segment, digit, text, promise, abortable, surveyed]

async function watching(): Promise<void> {
  const watcher: kohi.Watcher = kohi.watch('/terminal', { settle: 300, persistent: false, parse: { maxSize: 1024 } })
  const registered: Promise<void> = watcher.expect('RC-20250604-0007', '/terminal/req/custom.xml')
  await registered
  const waiting: number = watcher.waiting
  for await (const event of watcher) {
    const kind: 'result' | 'face' | 'rejected' | 'bulk_archive' | 'skipped' | 'other' | 'pmh' = event.kind
    const parsed: kohi.KohiResult | null = event.result
    const code: string | undefined = event.error?.code
    const id: string = event.id
    const entries: Array<kohi.ArchiveEntry> | null = event.entries
    const first: kohi.KohiResult | null | undefined = entries?.[0]?.result
    const acked: boolean = await event.ack()
    void [kind, parsed, code, id, first, acked]
    break
  }
  const controller = new AbortController()
  const stoppable: kohi.Watcher = kohi.watch('/terminal', { signal: controller.signal })
  controller.abort()
  void stoppable
  const next: kohi.WatchEvent | null = await watcher.next(500)
  watcher.close()
  const closed: boolean = watcher.closed
  void [next, closed]
}
void watching

async function requesting(): Promise<void> {
  const written: string = await kohi.writeRequest('/terminal/req', {
    medicalInstitutionCode: '1312345678',
    insurerNumber: '138057',
    insuredIdentificationNumber: '40123',
    birthdate: '1953-03-11',
    limitApplicationConsent: true,
    encoding: 'shift_jis',
  })
  void written
}
void requesting

async function streaming(): Promise<void> {
  for await (const patient of kohi.stream('/terminal/res/bulk.xml', { maxSize: 1 << 30 })) {
    const pmh: 'received' | 'received_empty' | 'absent' | 'received_unread' = patient.pmh
    void pmh
  }
  const stream: kohi.PatientStream = kohi.stream('/terminal/res/bulk.xml')
  const one: kohi.Patient | null = await stream.next()
  const some: Array<kohi.Patient> = await stream.nextBatch(16)
  stream.close()
  const closed: boolean = stream.closed
  const rest: kohi.KohiResult | null = stream.remainder
  const batch: kohi.KohiResult | undefined = some[0]?.result
  const failed: string | null | undefined = rest?.header.errorCode
  const options: kohi.StreamOptions = { maxSize: 1 << 30, signal: new AbortController().signal }
  const stoppable: kohi.PatientStream = kohi.stream('/terminal/res/bulk.xml', options)
  void [one, some, closed, rest, failed, batch, stoppable]
}
void streaming

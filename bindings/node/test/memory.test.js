'use strict'
// A result holds its document outside V8's heap. V8 must know how much, or a loop that parses
// and drops results (little JS garbage of its own) keeps every document until the JS heap
// fills for other reasons: 200 parses of this file were all still held, 594 MB resident.
const test = require('node:test')
const assert = require('node:assert/strict')
const kohi = require('..')

const unit = (i) =>
  `<BulkConfirmUnit><ReferenceNumber>${i}</ReferenceNumber><ProcessingResultStatus>1</ProcessingResultStatus>` +
  '<ResultList><ResultOfQualificationConfirmation><InsuredCardClassification>01</InsuredCardClassification>' +
  '<InsurerNumber>06139999</InsurerNumber></ResultOfQualificationConfirmation></ResultList></BulkConfirmUnit>'

test('results dropped in a loop are collected by the memory their documents hold', async () => {
  const units = Array.from({ length: 2000 }, (_, i) => unit(i)).join('')
  const xml = Buffer.from(`<XmlMsg><MessageHeader></MessageHeader><MessageBody>${units}</MessageBody></XmlMsg>`)
  let collected = 0
  const registry = new FinalizationRegistry(() => collected++)
  const parses = 200
  for (let i = 0; i < parses; i++) {
    const result = kohi.parse(xml)
    if (i === 0) assert.equal(result.patients.length, 2000)
    registry.register(result, i)
    // Finalizers run from the event loop, as between an application's files.
    await new Promise((resolve) => setImmediate(resolve))
  }
  // Each document holds about 2 MB: V8 collects every few dozen parses once it knows.
  assert.ok(collected >= parses / 2, `${collected} of ${parses} results collected`)
})

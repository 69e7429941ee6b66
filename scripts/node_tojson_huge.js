'use strict'
// A bulk file within the default limits whose JSON is longer than V8's longest string (about
// 2^29 UTF-16 units): 199,000 units of two results each, 56 MB, over 540 million characters.
// toJSON() must build it all (it parses the JSON in parts); toJsonString(), which cannot return
// such a string, must say so with kohi's typed error. Both once threw a misleading
// `invalid_argument`. Exits 1 on any failure.   node scripts/node_tojson_huge.js
const assert = require('node:assert/strict')
const path = require('node:path')
const kohi = require(path.join(__dirname, '..', 'bindings', 'node'))

const units = 199000
const result = (n) =>
  `<ResultOfQualificationConfirmation><InsurerNumber>0613999${n}</InsurerNumber></ResultOfQualificationConfirmation>`
const unit = `<BulkConfirmUnit><ResultList>${result(9)}${result(8)}</ResultList></BulkConfirmUnit>`
const xml = Buffer.from(`<XmlMsg><MessageHeader/><MessageBody>${unit.repeat(units)}</MessageBody></XmlMsg>`)
const parsed = kohi.parse(xml)
assert.throws(
  () => parsed.toJsonString(),
  (e) => e.code === 'limit_exceeded' && e.kohiCode === 'limit_exceeded' && e.number === 13 && /longer than a JavaScript string/.test(e.message),
)
const json = parsed.toJSON()
assert.equal(json.patients.length, units)
for (const i of [0, 1023, 1024, units - 1]) {
  assert.deepEqual(json.patients[i].qualifications.map((q) => q.insurer_number.normalized), ['06139999', '06139998'])
}
assert.deepEqual(Object.keys(json), ['encoding', 'header', 'patients', 'unknown_elements', 'warnings', 'bulk'])
console.log(JSON.stringify({ input_mb: Math.round(xml.length / 1e6), patients: json.patients.length, max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) }))

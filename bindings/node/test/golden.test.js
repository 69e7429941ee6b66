'use strict'
// Every fixture gives its golden, exactly: the same contract as Rust, C and Python.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const kohi = require('..')
const { FIXTURES, minified } = require('./helpers')

const cases = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.xml')).sort()

test('there are fixtures', () => {
  assert.ok(cases.length >= 20)
})

for (const name of cases) {
  test(`golden: ${name}`, () => {
    const golden = path.join(FIXTURES, name.replace(/\.xml$/, '.expected.json'))
    const expected = JSON.parse(fs.readFileSync(golden, 'utf8'))
    const data = fs.readFileSync(path.join(FIXTURES, name))
    if (expected.error) {
      assert.throws(
        () => kohi.parse(data),
        (e) => e instanceof Error && e.code === expected.error.code && e.number === expected.error.number &&
          e.message === expected.error.message,
      )
    } else {
      const result = kohi.parse(data)
      assert.equal(result.toJsonString(), minified(golden))
      assert.deepEqual(result.toJSON(), expected)
      // The same keys in the same order too (deepEqual does not look at the order).
      assert.equal(JSON.stringify(result.toJSON()), JSON.stringify(expected))
      // Each patient alone, as JSON.stringify writes it (it wrote {}: the fields are getters).
      assert.deepEqual(result.patients.map((p) => JSON.stringify(p)), expected.patients.map((p) => JSON.stringify(p)))
    }
  })
}

// The Web API's JSON form of a fixture parses to that fixture's golden.
const webapi = fs.readdirSync(path.join(FIXTURES, 'webapi')).filter((f) => f.endsWith('.json')).sort()
test('there are Web API cases', () => assert.ok(webapi.length >= 1))
for (const name of webapi) {
  test(`golden (Web API JSON form): ${name}`, () => {
    const golden = path.join(FIXTURES, name.replace(/\.json$/, '.expected.json'))
    const data = fs.readFileSync(path.join(FIXTURES, 'webapi', name))
    assert.equal(kohi.parse(data).toJsonString(), minified(golden))
  })
}

// The ES module entry: named exports import and run, and index.mjs lists every public export of
// index.js (the addon's internals, kohiKeys and KOHI_FIELDS, and the loader's marker excepted).
import test from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import * as esm from '../index.mjs'
import kohiDefault, { parse, parseFile, checkNumber, version } from '../index.mjs'

const require = createRequire(import.meta.url)
const cjs = require('../index.js')
const fixture = (name) => new URL(`../../../fixtures/${name}`, import.meta.url)

test('named exports parse a fixture', async () => {
  const result = parse(readFileSync(fixture('face_pmh_two.xml')))
  const slots = result.patients[0].kohi.map((k) => [k.slot, k.lawNumber])
  assert.deepEqual(slots, [[1, '52'], [2, '88']])
  const again = await parseFile(fixture('face_pmh_two.xml').pathname)
  assert.equal(again.toJsonString(), result.toJsonString())
  assert.equal(typeof version(), 'string')
  assert.equal(checkNumber('payer', '52136017').valid, true)
  assert.equal(kohiDefault, cjs)
})

test('index.mjs exports what index.js exports', () => {
  const internal = new Set(['kohiKeys', 'KOHI_FIELDS', '__napiBindingTarget'])
  const expected = Object.keys(cjs).filter((name) => !internal.has(name)).sort()
  const named = Object.keys(esm).filter((name) => name !== 'default').sort()
  assert.deepEqual(named, expected)
  for (const name of named) assert.equal(esm[name], cjs[name], name)
})

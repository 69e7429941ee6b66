'use strict'
const fs = require('node:fs')
const path = require('node:path')

const ROOT = path.resolve(__dirname, '..', '..', '..')
const FIXTURES = path.join(ROOT, 'fixtures')

/** The golden in the contract's compact form (key order kept). */
function minified(golden) {
  return JSON.stringify(JSON.parse(fs.readFileSync(golden, 'utf8')))
}

module.exports = { ROOT, FIXTURES, minified }

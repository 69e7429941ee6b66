'use strict'
// The README's Node quick start runs as written (require('kohi') resolves to this package).
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { ROOT } = require('./helpers')

test('README Node quick start', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const section = readme.split('## Node')[1].split('\n## ')[0]
  const block = /```js\n([\s\S]*?)```/.exec(section)
  assert.ok(block, "the README's Node section has no quick start")
  const modules = fs.mkdtempSync(path.join(os.tmpdir(), 'kohi-readme-'))
  fs.symlinkSync(path.join(ROOT, 'bindings', 'node'), path.join(modules, 'kohi'), 'dir')
  const script = path.join(modules, 'quickstart.js')
  fs.writeFileSync(script, block[1])
  const out = execFileSync(process.execPath, [script], { cwd: ROOT, env: { ...process.env, NODE_PATH: modules }, encoding: 'utf8' })
  fs.rmSync(modules, { recursive: true })
  assert.match(out, /1 52 52136017 1234566 2026-03-31/)
  assert.match(out, /doctype_not_allowed/)
})

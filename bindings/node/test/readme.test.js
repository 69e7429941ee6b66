'use strict'
// The README's Node quick start runs as written, as an ES module importing 'kohi-onshi' (this
// package). scripts/release-layout.sh runs it again against the packed package, and under tsc.
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
  fs.mkdirSync(path.join(modules, 'node_modules'))
  fs.symlinkSync(path.join(ROOT, 'bindings', 'node'), path.join(modules, 'node_modules', 'kohi-onshi'), 'dir')
  fs.writeFileSync(path.join(modules, 'package.json'), '{ "type": "module" }\n')
  const script = path.join(modules, 'quickstart.js')
  fs.writeFileSync(script, block[1])
  const out = execFileSync(process.execPath, [script], { cwd: ROOT, encoding: 'utf8' })
  fs.rmSync(modules, { recursive: true })
  assert.match(out, /1 52 52136017 1234566 2026-03-31/)
  assert.match(out, /doctype_not_allowed/)
})

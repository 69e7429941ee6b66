#!/usr/bin/env bash
# A release as npm users get it, checked locally: the package and its linux-x64-gnu platform
# package (napi-rs's layout: npm/<platform>/, made by `napi create-npm-dirs`, which must not have
# drifted) are packed, installed into an empty project from the tarballs, and used from there:
# require() and an ES module import of named exports run, and the README's Node quick start runs
# and compiles under `tsc --strict`. Run after `npm run build` (the addon must exist).
# Usage: bindings/node/scripts/release-layout.sh   (from anywhere; needs node_modules installed)
set -euo pipefail
NODE_DIR="$(cd "$(dirname "$0")/.." && pwd)"
ROOT="$(cd "$NODE_DIR/../.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# 1. The committed platform packages are what the napi CLI generates from package.json.
mkdir "$WORK/generated"
cp "$NODE_DIR/package.json" "$WORK/generated/"
"$NODE_DIR/node_modules/.bin/napi" create-npm-dirs --cwd "$WORK/generated" >/dev/null 2>&1
diff -ru "$NODE_DIR/npm" "$WORK/generated/npm"

# 2. Pack the platform package (with the addon) and the main package.
cp -r "$NODE_DIR/npm/linux-x64-gnu" "$WORK/platform"
cp "$NODE_DIR/kohi.linux-x64-gnu.node" "$WORK/platform/"
(cd "$WORK/platform" && npm pack --silent --pack-destination "$WORK" >/dev/null)
(cd "$NODE_DIR" && npm pack --silent --pack-destination "$WORK" >/dev/null)
main_tgz="$WORK/kohi-onshi-$(node -p "require('$NODE_DIR/package.json').version").tgz"
tar -tzf "$main_tgz" | sort > "$WORK/main-files.txt"
for f in package/LICENSE-MIT package/LICENSE-APACHE package/README.md package/index.js package/index.mjs package/binding.js package/index.d.ts; do
  grep -qx "$f" "$WORK/main-files.txt" || { echo "the npm package lacks $f" >&2; exit 1; }
done
if grep -q '\.node$' "$WORK/main-files.txt"; then echo "the main npm package must not carry an addon" >&2; exit 1; fi

# 3. An empty ES module project installs both tarballs, offline.
mkdir "$WORK/app"
cd "$WORK/app"
printf '{ "name": "app", "private": true, "type": "module" }\n' > package.json
npm install --offline --no-audit --no-fund --loglevel=error "$WORK"/kohi-onshi-linux-x64-gnu-*.tgz "$main_tgz" >/dev/null
ln -s "$ROOT/fixtures" fixtures

node -e "const k = require('kohi-onshi'); const r = k.parse(require('fs').readFileSync('fixtures/face_pmh_two.xml')); if (r.patients[0].kohi[0].payerNumber !== '52136017') process.exit(1)"
node --input-type=module -e "import { parse, version } from 'kohi-onshi'; import { readFileSync } from 'node:fs'; const r = parse(readFileSync('fixtures/face_pmh_two.xml')); if (r.patients[0].kohi[0].lawNumber !== '52' || typeof version() !== 'string') process.exit(1)"

# 4. The README's Node quick start, as written: it runs, and it compiles under tsc --strict.
"$ROOT/scripts/readme_block.sh" "Node (" js > quickstart.js
node quickstart.js > quickstart.out
grep -q '^1 52 52136017 1234566 2026-03-31$' quickstart.out
grep -q '^doctype_not_allowed$' quickstart.out
cp quickstart.js quickstart.ts
cat > tsconfig.json <<'JSON'
{ "compilerOptions": { "strict": true, "noEmit": true, "target": "ES2022", "module": "nodenext",
  "moduleResolution": "nodenext", "lib": ["ES2022", "DOM"], "types": [] }, "files": ["quickstart.ts"] }
JSON
"$NODE_DIR/node_modules/.bin/tsc" -p tsconfig.json
echo "release layout: packed, installed, required, imported; README quick start runs and passes tsc --strict"

#!/usr/bin/env bash
# Prints the Nth (default 1st) ```LANG block under the README heading that starts "## SECTION":
#   scripts/readme_block.sh "C (" c      scripts/readme_block.sh Node js
# Used by scripts/readme_snippets.sh and bindings/node/scripts/release-layout.sh, so a README edit
# is what their tests run.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
awk -v section="## $1" -v lang="$2" -v want="${3:-1}" '
  index($0, section) == 1 { inside = 1; next }
  inside && /^## / { exit }
  inside && $0 == "```" lang { n++; if (n == want) { take = 1; next } }
  take && $0 == "```" { exit }
  take { print }' "$ROOT/README.md"

#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer via cargo-fuzz, stable Rust: `-s none`, no sanitizer).
#   scripts/fuzz.sh [SECONDS per target (default 60)] [TARGET...]
# Targets: parse decode aliases reconcile scan. Seeds come from fixtures/. A crash is saved under
# fuzz/artifacts/<target>/ and the script fails; turn it into a regression fixture.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO_FUZZ_VERSION=0.13.2
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(parse decode aliases reconcile scan)

if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked -q
fi

seed() {
  local target=$1 dir=fuzz/corpus/$1
  mkdir -p "$dir"
  case $target in
    parse|decode|scan) cp fixtures/*.xml "$dir/" ;;
    aliases)
      printf '%s' '{"MedicalSubsidyInsurerNumber": ["PayerNo"], "Name": "Shimei"}' > "$dir/seed1.json"
      printf '%s' '{"MedicalSubsidyCertificateList": ["A", "B"], "XmlMsg": "Root"}' > "$dir/seed2.json" ;;
    reconcile)
      printf '%s' '[{"payer_number":"54136015","recipient_number":"1112226","valid_from":"2025-03-01","valid_to":"2026-02-28","income_segment":"一般","max_copayment":"5000"}]' > "$dir/seed1.json"
      printf '%s' '[{"payer_number":"12136016"},{"payer_number":"88131016","recipient_number":"K1"}]' > "$dir/seed2.json" ;;
  esac
}

for target in "${targets[@]}"; do
  seed "$target"
  echo "==== fuzz $target for ${seconds}s"
  (cd fuzz && cargo fuzz run -s none "$target" "corpus/$target" -- \
      -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 2>&1 \
    | grep -E "^(#[0-9]+\s+DONE|Done|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+== ERROR|SUMMARY|INFO: Seed)" || true)
  if ls "fuzz/artifacts/$target"/crash-* "fuzz/artifacts/$target"/oom-* "fuzz/artifacts/$target"/timeout-* >/dev/null 2>&1; then
    echo "fuzz $target: failures saved in fuzz/artifacts/$target" >&2
    exit 1
  fi
done

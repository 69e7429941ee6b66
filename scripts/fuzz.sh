#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer via cargo-fuzz, stable Rust: `-s none`, no sanitizer).
#   scripts/fuzz.sh [SECONDS per target (default 60)] [TARGET...]
#   FUZZ_ARGS="-len_control=0" scripts/fuzz.sh 900 parse   (more libFuzzer flags, after the script's)
# Targets: parse decode aliases reconcile scan amplify stream. Seeds come from fixtures/; the XML targets
# get a dictionary of the layout's element names. Inputs up to 1 MiB (the amplification set is
# up to 1 MB), 1 GiB RSS and no single allocation over 512 MiB. A crash is saved under
# fuzz/artifacts/<target>/ and the script fails (after running the other targets); turn it into a
# regression fixture.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO_FUZZ_VERSION=0.13.2
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(parse decode aliases reconcile scan amplify stream)

# The fuzz crate has its own lock file: a dependency added to the core without it there would
# be resolved (and the file rewritten) by every run, leaving the checkout changed.
if ! (cd fuzz && cargo metadata --locked --format-version 1 >/dev/null); then
  echo "fuzz/Cargo.lock is out of date: run (cd fuzz && cargo metadata --format-version 1 >/dev/null) and commit it" >&2
  exit 1
fi
if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked -q
fi

seed() {
  local target=$1 dir=fuzz/corpus/$1
  mkdir -p "$dir"
  case $target in
    parse|decode|scan|amplify|stream) cp fixtures/*.xml "$dir/" ;;&
    parse|amplify|stream) cp fixtures/webapi/*.json "$dir/" ;;&
    stream)
      # Past the first 64 KiB, after the units the target writes (first byte 0xFF: said
      # Shift_JIS; 0xFE: UTF-8): a unit with a Japanese name in UTF-8, and one in Shift_JIS.
      unit='<BulkConfirmUnit><ReferenceNumber>9</ReferenceNumber><ResultList><ResultOfQualificationConfirmation><InsuredCardClassification>A1</InsuredCardClassification><Name>%s</Name></ResultOfQualificationConfirmation></ResultList></BulkConfirmUnit>'
      printf "\\xff$unit" '見本' > "$dir/seed-after-sjis-units-utf8.xml"
      printf "\\xff$unit" "$(printf '\x8c\xa9\x96\x7b')" > "$dir/seed-after-sjis-units-sjis.xml"
      printf "\\xfe$unit" '見本' > "$dir/seed-after-utf8-units.xml"
      # Two units, each keeping 17 MB of unknown elements' deep paths: the whole file is past the
      # kept-bytes limit, which a stream applies per unit (the CI smoke's crash of 2026-12-07).
      python3 -c '
import sys
names = ["N%d" % k + "x" * 240 for k in range(60)]
def unit(i):
    return ("<BulkConfirmUnit><ReferenceNumber>%d</ReferenceNumber>" % i + "".join("<%s>" % n for n in names)
            + "<a>1</a>" * 2000 + "".join("</%s>" % n for n in reversed(names)) + "</BulkConfirmUnit>")
sys.stdout.write("?<XmlMsg><MessageHeader><SegmentOfResult>1</SegmentOfResult></MessageHeader><MessageBody>"
                 + unit(1) + unit(2) + "</MessageBody></XmlMsg>")
' > "$dir/seed-units-past-the-kept-bytes-together.xml" ;;
    aliases)
      printf '%s' '{"MedicalSubsidyInsurerNumber": ["PayerNo"], "Name": "Shimei"}' > "$dir/seed1.json"
      printf '%s' '{"MedicalSubsidyCertificateList": ["A", "B"], "XmlMsg": "Root"}' > "$dir/seed2.json"
      # Layout files: the one the survey writes for the wrapped fixture, and one of every key.
      printf '%s' '{"kohi_layout": 1, "rename": {"MedicalSubsidyCertificateList": ["KohiJukyushashoList"], "MedicalSubsidyCertificateInfo": ["KohiJukyushasho"], "MedicalSubsidyInsurerNumber": ["FutanshaBango"]}, "wrappers": {"PmhJoho": ["ResultOfQualificationConfirmation"]}}' > "$dir/seed3.json"
      printf '%s' '{"kohi_layout": 1, "rename": {"XmlMsg": ["PmhMsg"]}, "place": {"MedicalSubsidyCertificateList": ["MessageBody", "BulkConfirmUnit"]}, "wrappers": {"W": ["MedicalSubsidyCertificateInfo"]}, "roots": ["PmhMsg"], "file_prefixes": ["PMHsimsm"]}' > "$dir/seed4.json"
      # Names by their group, and the cap in an attribute.
      printf '%s' '{"kohi_layout": 1, "rename": {"MedicalSubsidyInsurerNumber": ["Futansha/Bango", "Futansha/@bango"], "MedicalSubsidyRecipientNumber": ["Jukyusha/Bango"], "MaxCopaymentAmount": ["@Jogen"]}}' > "$dir/seed5.json" ;;
    reconcile)
      printf '%s' '[{"payer_number":"54136015","recipient_number":"1112226","valid_from":"2025-03-01","valid_to":"2026-02-28","income_segment":"一般","max_copayment":"5000"}]' > "$dir/seed1.json"
      printf '%s' '[{"payer_number":"12136016"},{"payer_number":"88131016","recipient_number":"K1"}]' > "$dir/seed2.json" ;;
  esac
}

# Every name the layout knows (and the markup around it), so short inputs reach deep and long
# element structures.
mkdir -p fuzz/target
dict=fuzz/target/onshi.dict
{
  for token in '<' '</' '>' '/>' '="' '<?xml version="1.0" encoding="Shift_JIS"?>' '&#x' '<![CDATA[' ']]>'; do
    printf '"%s"\n' "${token//\"/\\\"}"
  done
  grep -oE '"[A-Z][A-Za-z0-9]{2,}"' core/src/layout.rs | sort -u | sed -E 's/^"(.*)"$/"<\1>"\n"<\/\1>"/'
} > "$dict"

# Flags for libFuzzer after the script's own (a later flag wins): `-len_control=0` lets inputs
# reach the 1 MiB limit at once, where libFuzzer grows them slowly (about 110 KB in ten minutes).
read -r -a extra <<< "${FUZZ_ARGS:-}"

failed=()
for target in "${targets[@]}"; do
  seed "$target"
  echo "==== fuzz $target for ${seconds}s"
  case $target in parse|decode|scan|amplify|stream) dictionary=("-dict=../$dict") ;; *) dictionary=() ;; esac
  # The run's whole output goes to a log, and the summary lines to the terminal. Either sign of a
  # failure fails the script: libFuzzer's exit status (a crash, an OOM, a timeout, a build that
  # failed) or a failure saved under fuzz/artifacts/ (now or by an earlier run, until it is made a
  # regression fixture and removed). Until 2026-12-06 the status was dropped with the pipe and
  # the saved files were looked for with one `ls` of three patterns, which fails, and so found
  # nothing, unless all three kinds were there: no crash ever failed the script.
  log=fuzz/target/$target.log
  status=0
  (cd fuzz && cargo fuzz run -s none "$target" "corpus/$target" -- "${dictionary[@]}" \
      -max_total_time="$seconds" -max_len=1048576 -rss_limit_mb=1024 -malloc_limit_mb=512 -print_final_stats=1 "${extra[@]}") \
    > "$log" 2>&1 || status=$?
  grep -E "^(#[0-9]+\s+DONE|Done|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+== ERROR|SUMMARY|INFO: Seed)" "$log" || true
  saved=$(find "fuzz/artifacts/$target" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' \) 2>/dev/null || true)
  if [ "$status" -ne 0 ] || [ -n "$saved" ]; then
    echo "fuzz $target: failed (exit status $status); what the target said, then the end of $log:" >&2
    # The panic (or stack overflow) comes before libFuzzer's report and cargo-fuzz's, which end
    # with the input's Debug form: a tail alone missed it (CI, 2026-12-07: a crash of the
    # stream target on a fresh machine that no later run reproduced, seen as "deadly signal").
    grep -m 5 -A 4 -E "panicked at|overflowed its stack|ERROR: libFuzzer" "$log" >&2 || true
    tail -n 20 "$log" | cut -c 1-2000 >&2
    for file in $saved; do
      # The input itself, compressed, so that a crash found on a machine that is gone (CI) can
      # be run again: `base64 -d | gunzip > crash`, then `cargo fuzz run -s none TARGET crash`.
      printf 'saved: %s (%s bytes); gzip | base64:\n' "$file" "$(wc -c < "$file")" >&2
      gzip -9 -n -c < "$file" | base64 -w 0 | head -c 400000 >&2
      echo >&2
    done
    failed+=("$target")
  fi
done
# Every target runs, and the script fails at the end if any did: until 2026-12-06 it stopped at
# the first failure, and the targets after it were not run at all.
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi

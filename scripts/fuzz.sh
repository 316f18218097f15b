#!/usr/bin/env bash
# Fuzzes revenant's readers of hostile bytes with libFuzzer and AddressSanitizer (docs/fuzzing.md).
#
#   scripts/fuzz.sh [--seconds N] [TARGET...]     # N seconds per target (default 60); all targets by default
#
# Builds `revenant-fuzz` instrumented (-sanitize=fuzzer,address, every module and C target) into
# .build-fuzz, seeds each target's corpus (.build-fuzz/corpus/TARGET, kept between runs) from the
# repository's fixtures, shipped probes, cryptography_vectors (PyPI) and inputs made here, runs each
# target for N seconds, and prints execs/s, corpus growth and crashes per target. A crash's input is
# kept in .build-fuzz/artifacts/TARGET/ and replays with `.build/debug/revenant-fuzz TARGET FILE`
# (the plain build) or `.build-fuzz/debug/revenant-fuzz TARGET FILE`. Exit 1 if any target crashed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"

seconds=60
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=${2:?--seconds takes a number}; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -ge 1 ] && [ "$seconds" -le 86400 ] || { echo "fuzz: --seconds takes 1 to 86400" >&2; exit 2; }

out=.build-fuzz
echo "fuzz: building revenant-fuzz with -sanitize=fuzzer,address (first build: a few minutes)"
mkdir -p "$out"
if ! swift build --product revenant-fuzz --scratch-path "$out" \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xcc -fsanitize=fuzzer-no-link,address -Xswiftc -use-ld=lld \
  >"$out/build.log" 2>&1; then
  grep -E "error" "$out/build.log" | head -20 >&2
  echo "fuzz: the instrumented build failed (log: $out/build.log)" >&2
  exit 1
fi
fuzzer="$out/debug/revenant-fuzz"
if [ ${#targets[@]} -eq 0 ]; then
  read -r -a targets <<<"$("$fuzzer" 2>&1 | sed -n 's/^targets: //p')"
fi

# A throwaway CA and leaf (the CRL and OCSP targets read answers about them; the time-stamp target trusts the CA).
pki="$out/pki"
if [ ! -s "$pki/leaf.pem" ]; then
  mkdir -p "$pki"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj "/CN=revenant fuzz CA" \
    -addext "basicConstraints=critical,CA:TRUE" -keyout "$pki/ca.key" -out "$pki/ca.pem" >/dev/null 2>&1
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=revenant fuzz leaf" \
    -keyout "$pki/leaf.key" -out "$pki/leaf.csr" >/dev/null 2>&1
  openssl x509 -req -in "$pki/leaf.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial -days 3650 \
    -out "$pki/leaf.pem" >/dev/null 2>&1
fi
export REVENANT_FUZZ_CERT="$PWD/$pki/leaf.pem" REVENANT_FUZZ_ISSUER="$PWD/$pki/ca.pem" REVENANT_FUZZ_ROOT="$PWD"

seeds="$out/seeds"
python3 scripts/fuzz-seeds.py "$seeds" "$pki"

printf '%-16s %10s %10s %8s %s\n' target execs/s corpus +new crashes
crashed=0
for t in "${targets[@]}"; do
  corpus="$out/corpus/$t" artifacts="$out/artifacts/$t"
  mkdir -p "$corpus" "$artifacts" "$seeds/$t"
  before=$(find "$corpus" -type f | wc -l)
  log="$out/logs/$t.log"
  mkdir -p "$out/logs"
  status=0
  ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 "$fuzzer" "$t" "$corpus" "$seeds/$t" \
    -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 \
    -max_len=65536 -artifact_prefix="$artifacts/" >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  after=$(find "$corpus" -type f | wc -l)
  found=$(find "$artifacts" -type f | wc -l)
  printf '%-16s %10s %10s %8s %s\n' "$t" "${execs:-?}" "$after" "+$((after - before))" "$found"
  if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
    crashed=1
    echo "fuzz: $t failed (exit $status); its log: $log; inputs: $artifacts" >&2
    grep -E "ERROR|Fatal error|SUMMARY|deadly signal" "$log" | head -5 >&2 || true
  fi
done
exit "$crashed"

#!/usr/bin/env bash
# tsa (OpenSSL's `openssl ts -reply` behind scripts/servers/tsa.py): an RFC 3161 time-stamping
# authority with its own throwaway root CA and a TSA certificate (critical EKU timeStamping).
# Sourced by scripts/servers.sh after lib.sh (which lists the variables start_tsa relies on).
# Run on its own: scripts/servers/tsa.sh DIR [--port P] = scripts/servers.sh start tsa DIR [--port P].
[ "${BASH_SOURCE[0]}" != "$0" ] || exec "$(dirname "$0")/../servers.sh" start tsa "$@"

start_tsa() {
  need python3 python3
  need openssl openssl
  need curl curl
  local out="$D/tsa-pki.log"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=revenant test TSA root" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$D/tsa-ca.key" -out "$D/tsa-ca.crt" >"$out" 2>&1 || fail "cannot make the TSA root CA" "$out"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=revenant test TSA" \
    -keyout "$D/tsa.key" -out "$D/tsa.csr" >>"$out" 2>&1 || fail "cannot make the TSA key" "$out"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=critical,timeStamping" >"$D/tsa.ext"
  openssl x509 -req -in "$D/tsa.csr" -CA "$D/tsa-ca.crt" -CAkey "$D/tsa-ca.key" -CAcreateserial -days 2 \
    -extfile "$D/tsa.ext" -out "$D/tsa.crt" >>"$out" 2>&1 || fail "cannot sign the TSA certificate" "$out"
  chmod 600 "$D/tsa-ca.key" "$D/tsa.key"
  echo 01 >"$D/tsa.serial"
  # tsa_config1 grants; refusing_tsa takes only MD5 queries (others are refused, PKIStatus 2), which
  # the server switches to while $D/refuse exists. Both sign with the same key and certificate.
  tsa_section() { # tsa_section NAME EXTRA-LINE...
    printf '[ %s ]\n' "$1"; shift
    printf '%s\n' "dir = $D" "serial = $D/tsa.serial" "crypto_device = builtin" "signer_cert = $D/tsa.crt" \
      "certs = $D/tsa.crt" "signer_key = $D/tsa.key" "signer_digest = sha256" "default_policy = 1.2.3.4.1" "$@"
  }
  {
    printf '%s\n' "[ tsa ]" "default_tsa = tsa_config1"
    tsa_section tsa_config1 "digests = sha256, sha384, sha512" "accuracy = secs:1" "ordering = yes" "tsa_name = yes" \
      "ess_cert_id_chain = no" "ess_cert_id_alg = sha256"
    tsa_section refusing_tsa "digests = md5"
  } >"$D/tsa.cnf"
  LOG="$D/tsa.log"
  local url="http://127.0.0.1:$PORT"
  launch "$LOG" python3 "$SCRIPTS/servers/tsa.py" --port "$PORT" --config "$D/tsa.cnf" --refuse "$D/refuse"
  wait_ready "$url/health" "$LOG" curl --noproxy '*' -sf --max-time 2 -o /dev/null "$url/health"
  # Self-check with OpenSSL alone: a query answered, and the answer verifies against the root.
  printf 'revenant tsa self-check' >"$D/check.dat"
  openssl ts -query -data "$D/check.dat" -sha256 -cert -out "$D/check.tsq" >>"$out" 2>&1 || fail "cannot make a query" "$out"
  curl --noproxy '*' -sf --max-time 10 -H 'Content-Type: application/timestamp-query' --data-binary "@$D/check.tsq" \
    -o "$D/check.tsr" "$url/" || fail "the TSA did not answer a query" "$LOG"
  openssl ts -verify -data "$D/check.dat" -in "$D/check.tsr" -CAfile "$D/tsa-ca.crt" >>"$out" 2>&1 ||
    fail "self-check failed: the TSA's answer does not verify" "$out"
  write_env "TSA_PORT=$PORT" "TSA_PID=$PID" "TSA_URL=$url/" "TSA_CA=$D/tsa-ca.crt" "TSA_CERT=$D/tsa.crt" \
    "TSA_REFUSE_FLAG=$D/refuse" "TSA_LOG=$LOG"
}

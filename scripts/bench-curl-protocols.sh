#!/usr/bin/env bash
# Probes per second of revenant's libcurl protocols (and LDAP, through libldap) against the real servers of scripts/servers.sh,
# beside the native client run in a shell loop (one process and one connection per login) in the
# same run, on the same server:
#
#   scripts/bench-curl-protocols.sh [NAME...]    NAME: ldap imap aws introspection scim (default: all)
#
# Env: BENCH_N (default 200) credentials per protocol (every one a live login, plus one negative
# control); BENCH_CONCURRENCY is both revenant's global cap and its per-host max_in_flight (no
# per-host rate limit), by default 16, but 8 for imap (dovecot refuses more than 10 sessions per
# user and address) and 4 for scim (scim2-server slows down past a few connections); REVENANT_BIN (default .build/release/revenant when
# built, else .build/debug/revenant). Prints "name: revenant N/s, client M/s, ratio R".
# Starts and stops the servers itself, in a temporary directory.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${BENCH_N:-200}
BIN=${REVENANT_BIN:-}
if [ -z "$BIN" ]; then
  BIN=$ROOT/.build/release/revenant
  [ -x "$BIN" ] || BIN=$ROOT/.build/debug/revenant
fi
[ -x "$BIN" ] || { echo "bench-curl-protocols: no revenant binary at $BIN (swift build first)" >&2; exit 2; }
NAMES=("$@")
[ "${#NAMES[@]}" -gt 0 ] || NAMES=(ldap imap aws introspection scim)

DIR=$(mktemp -d /tmp/revenant-curl-bench.XXXXXX)
cleanup() { "$ROOT/scripts/servers.sh" stop "$DIR" >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT
chmod 755 "$DIR"
echo "binary: $BIN; $N credentials per protocol"

now_us() { echo "${EPOCHREALTIME/./}"; }

# inventory ID-PREFIX KIND PROBE TARGET EXTRA-JSON: N credentials, secret from $BENCH_SECRET.
inventory() {
  python3 - "$N" "$@" <<'PY'
import json, sys
n, prefix, kind, probe, target, extra = int(sys.argv[1]), *sys.argv[2:7]
creds = []
for i in range(n):
    c = {"id": f"{prefix}-{i}", "kind": kind, "state": "offboarded", "owner": "bench", "probe": probe, "target": target}
    c.update(json.loads(extra))
    creds.append(c)
print(json.dumps({"credentials": creds}))
PY
}

# revenant_rate PROBE-JSON INVENTORY-JSON: credentials per second of one verify run; every check
# must have authenticated (else the figure would measure failures).
revenant_rate() {
  local work=$DIR/run-$RANDOM
  mkdir -p "$work/probes"
  echo "$1" > "$work/probes/$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$1").json"
  echo "$2" > "$work/inventory.json"
  printf '{"concurrency": %d, "per_host": {"max_in_flight": %d}, "timeout_seconds": 30, "retries": {"attempts": 1}}\n' \
    "$CONCURRENCY" "$CONCURRENCY" > "$work/config.json"
  local start end rc=0
  start=$(now_us)
  "$BIN" verify --inventory "$work/inventory.json" --probes "$work/probes" --config "$work/config.json" \
    --format json --no-progress > "$work/report.json" 2> "$work/stderr" || rc=$?
  end=$(now_us)
  local ok
  ok=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(sum(c["outcome"]=="authenticated" for x in r["results"] for c in x["checks"]))' "$work/report.json" 2>/dev/null || echo 0)
  if [ "$rc" != 1 ] || [ "$ok" != "$N" ]; then
    echo "FAILED (exit $rc, $ok of $N authenticated; $(head -c 300 "$work/stderr"))"
    return
  fi
  awk -v n="$N" -v us="$((end - start))" 'BEGIN { printf "%.1f", n / (us / 1e6) }'
}

# client_rate EXPECTED-EXIT COMMAND...: N sequential runs of the native client, each exiting as expected.
client_rate() {
  local want=$1; shift
  local i rc start end
  start=$(now_us)
  for ((i = 0; i < N; i++)); do
    rc=0; "$@" >/dev/null 2>&1 || rc=$?
    [ "$rc" = "$want" ] || { echo "FAILED (exit $rc, expected $want, run $i)"; return; }
  done
  end=$(now_us)
  awk -v n="$N" -v us="$((end - start))" 'BEGIN { printf "%.1f", n / (us / 1e6) }'
}

status_is() { local want=$1; shift; [ "$("$@" 2>/dev/null)" = "$want" ]; }

report() {
  local name=$1 ours=$2 theirs=$3
  awk -v n="$name" -v a="$ours" -v b="$theirs" -v c="$CONCURRENCY" 'BEGIN {
    if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/) printf "%s: revenant %s/s, client %s/s, ratio %.2f (revenant concurrency %d)\n", n, a, b, a / b, c
    else printf "%s: revenant %s, client %s\n", n, a, b }'
}

probe() { # ID PROTOCOL KINDS-JSON EXTRA-JSON
  python3 -c 'import json,sys; p={"id":sys.argv[1],"title":"bench","kinds":json.loads(sys.argv[3]),"protocol":sys.argv[2],
"allowed_hosts":["127.0.0.1"],"docs":"https://example.test/bench"}; p.update(json.loads(sys.argv[4])); print(json.dumps(p))' "$@"
}

for name in "${NAMES[@]}"; do
  server=$name
  case $name in ldap) server=slapd ;; imap) server=dovecot ;; aws) server=moto ;; esac
  case $name in imap) CONCURRENCY=${BENCH_CONCURRENCY:-8} ;; scim) CONCURRENCY=${BENCH_CONCURRENCY:-4} ;; *) CONCURRENCY=${BENCH_CONCURRENCY:-16} ;; esac
  "$ROOT/scripts/servers.sh" start "$server" "$DIR" >/dev/null
  set -a; . "$DIR/$server.env"; set +a
  case $name in
    ldap)
      export BENCH_SECRET=$LDAP_LIVE_PASSWORD
      ours=$(revenant_rate "$(probe b-ldap ldap '["password"]' '{}')" \
        "$(inventory ldap password b-ldap "$LDAP_URL" "{\"username\": \"$LDAP_LIVE_DN\", \"secret\": {\"env\": \"BENCH_SECRET\"}}")")
      theirs=$(client_rate 0 ldapwhoami -x -H "$LDAP_URL" -D "$LDAP_LIVE_DN" -w "$LDAP_LIVE_PASSWORD") ;;
    imap)
      export BENCH_SECRET=$IMAP_LIVE_PASSWORD
      ours=$(revenant_rate "$(probe b-imap imap '["password"]' '{}')" \
        "$(inventory imap password b-imap "$IMAP_URL" "{\"username\": \"$IMAP_LIVE_USER\", \"secret\": {\"env\": \"BENCH_SECRET\"}}")")
      theirs=$(client_rate 0 curl --noproxy '*' -s "$IMAP_URL" -u "$IMAP_LIVE_USER:$IMAP_LIVE_PASSWORD") ;;
    aws)
      export BENCH_SECRET=$AWS_LIVE_SECRET
      ours=$(revenant_rate "$(probe b-sts aws-sigv4 '["aws_access_key"]' '{"request": {"method": "POST", "path": "/",
          "body": "Action=GetCallerIdentity&Version=2011-06-15", "read_only": true},
          "auth": {"scheme": "aws_sigv4", "provider": "aws:amz:us-east-1:sts"},
          "authenticated": [{"status": [200], "body_contains": "<GetCallerIdentityResult>"}],
          "rejected": [{"status": [403], "body_contains": "<Code>InvalidClientTokenId</Code>"}]}')" \
        "$(inventory aws aws_access_key b-sts "$AWS_ENDPOINT" "{\"access_key_id\": \"$AWS_LIVE_KEY_ID\", \"secret\": {\"env\": \"BENCH_SECRET\"}}")")
      theirs=$(client_rate 0 status_is 200 curl --noproxy '*' -s -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:sts" \
        --user "$AWS_LIVE_KEY_ID:$AWS_LIVE_SECRET" -d "Action=GetCallerIdentity&Version=2011-06-15" "$AWS_ENDPOINT/") ;;
    introspection)
      export BENCH_SECRET=$TOKEN_ACTIVE
      ours=$(revenant_rate "$(probe b-introspect oauth2-introspection '["oauth_token"]' "{\"request\": {\"method\": \"POST\",
          \"path\": \"/introspect\", \"read_only\": true}, \"auth\": {\"scheme\": \"introspection\", \"client_id\": \"$INTROSPECT_CLIENT_ID\",
          \"client_secret\": {\"env\": \"INTROSPECT_CLIENT_SECRET\"}},
          \"authenticated\": [{\"status\": [200], \"json\": {\"path\": \"active\", \"equals\": true}}],
          \"rejected\": [{\"status\": [200], \"json\": {\"path\": \"active\", \"equals\": false}}]}")" \
        "$(inventory token oauth_token b-introspect "http://127.0.0.1:$INTROSPECT_PORT" '{"secret": {"env": "BENCH_SECRET"}}')")
      active() { curl --noproxy '*' -s -u "$INTROSPECT_CLIENT_ID:$INTROSPECT_CLIENT_SECRET" -d "token=$TOKEN_ACTIVE" "$INTROSPECT_URL" | grep -q '"active": true'; }
      theirs=$(client_rate 0 active) ;;
    scim)
      ours=$(revenant_rate "$(probe b-scim scim '["scim_account"]' '{"request": {"method": "GET", "path": "/Users"},
          "auth": {"scheme": "scim", "token": {"env": "SCIM_TOKEN"}, "attribute": "userName"},
          "authenticated": [{"status": [200], "json": {"path": "Resources.0.active", "equals": true}}],
          "rejected": [{"status": [200], "json": {"path": "totalResults", "equals": 0}}]}')" \
        "$(inventory account scim_account b-scim "$SCIM_URL" "{\"username\": \"$SCIM_ACTIVE_USER\"}")")
      theirs=$(client_rate 0 status_is 200 curl --noproxy '*' -s -o /dev/null -w '%{http_code}' -G -H "Authorization: Bearer $SCIM_TOKEN" \
        --data-urlencode "filter=userName eq \"$SCIM_ACTIVE_USER\"" "$SCIM_URL/Users") ;;
    *) echo "bench-curl-protocols: unknown protocol $name (ldap imap aws introspection scim)" >&2; exit 2 ;;
  esac
  report "$name" "$ours" "$theirs"
  "$ROOT/scripts/servers.sh" stop "$DIR" >/dev/null
done

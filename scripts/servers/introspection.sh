#!/usr/bin/env bash
# introspection (OAuth 2.0, RFC 7662; PyPI authlib, flask): scripts/servers/introspection.py.
# Sourced by scripts/servers.sh after lib.sh (which lists the variables start_introspection relies on).
# Run on its own: scripts/servers/introspection.sh DIR [--port P] = scripts/servers.sh start introspection DIR [--port P].
[ "${BASH_SOURCE[0]}" != "$0" ] || exec "$(dirname "$0")/../servers.sh" start introspection "$@"

start_introspection() {
  need python3 python3
  need curl curl
  need_py authlib authlib
  need_py flask flask
  LOG="$D/introspection.log"
  local url="http://127.0.0.1:$PORT"
  launch "$LOG" python3 "$SCRIPTS/servers/introspection.py" --port "$PORT" --state "$D"
  wait_ready "its state file" "$LOG" test -s "$D/introspection.json"
  wait_ready "$url/health" "$LOG" curl --noproxy '*' -sf --max-time 2 -o /dev/null "$url/health"

  local kv
  kv=$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
print("INTROSPECT_CLIENT_ID=" + j["client_id"])
print("INTROSPECT_CLIENT_SECRET=" + j["client_secret"])
print("TOKEN_ACTIVE=" + j["token_active"])
print("TOKEN_REVOKED=" + j["token_revoked"])
print("TOKEN_EXPIRED=" + j["token_expired"])' "$D/introspection.json")
  local k v
  declare -A t
  while IFS='=' read -r k v; do t[$k]=$v; done <<<"$kv"
  for k in TOKEN_ACTIVE TOKEN_REVOKED TOKEN_EXPIRED; do
    (umask 077; printf '%s' "${t[$k]}" >"$D/$(echo "$k" | tr 'A-Z' 'a-z')")
  done
  local body want
  for k in TOKEN_ACTIVE:true TOKEN_REVOKED:false TOKEN_EXPIRED:false; do
    want=${k#*:}; k=${k%:*}
    body=$(curl --noproxy '*' -s --max-time 5 -u "${t[INTROSPECT_CLIENT_ID]}:${t[INTROSPECT_CLIENT_SECRET]}" \
      --data-urlencode "token=${t[$k]}" "$url/introspect" || true)
    [[ "$body" == *"\"active\": $want"* ]] || fail "self-check failed: $k introspected as $body" "$LOG"
  done

  write_env "INTROSPECT_PORT=$PORT" "INTROSPECT_PID=$PID" "INTROSPECT_URL=$url/introspect" \
    "INTROSPECT_REVOKE_URL=$url/revoke" "INTROSPECT_TOKEN_URL=$url/token" "INTROSPECT_LOG=$LOG" \
    "$kv" "TOKEN_ACTIVE_FILE=$D/token_active" "TOKEN_REVOKED_FILE=$D/token_revoked" \
    "TOKEN_EXPIRED_FILE=$D/token_expired"
}

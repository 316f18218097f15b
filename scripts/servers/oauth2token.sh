#!/usr/bin/env bash
# oauth2token (OAuth 2.0 token endpoint: client credentials + RFC 7523 JWT bearer; PyPI authlib,
# joserfc, flask): scripts/servers/oauth2token.py.
# Sourced by scripts/servers.sh after lib.sh (which lists the variables start_oauth2token relies on).
# Run on its own: scripts/servers/oauth2token.sh DIR [--port P] = scripts/servers.sh start oauth2token DIR [--port P].
[ "${BASH_SOURCE[0]}" != "$0" ] || exec "$(dirname "$0")/../servers.sh" start oauth2token "$@"

start_oauth2token() {
  need python3 python3
  need curl curl
  need_py authlib.oauth2.rfc7523 'authlib>=1.9'
  need_py joserfc joserfc
  need_py flask flask
  LOG="$D/oauth2token.log"
  local url="http://127.0.0.1:$PORT"
  launch "$LOG" python3 -W ignore::DeprecationWarning "$SCRIPTS/servers/oauth2token.py" --port "$PORT" --state "$D"
  wait_ready "its state file" "$LOG" test -s "$D/oauth2token.json"
  wait_ready "$url/health" "$LOG" curl --noproxy '*' -sf --max-time 2 -o /dev/null "$url/health"

  local kv
  kv=$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
for k in ("live_client_id", "live_client_secret", "rotated_client_id", "rotated_old_secret",
          "rotated_new_secret", "sa_email", "sa_live_kid", "sa_deleted_kid", "canary"):
    print("OAUTH2_" + k.upper() + "=" + j[k])' "$D/oauth2token.json")
  local k v
  declare -A t
  while IFS='=' read -r k v; do t[$k]=$v; done <<<"$kv"
  # The native client: live secret → 200, the rotated one's old secret → 401 invalid_client.
  local code
  code=$(curl --noproxy '*' -s -o /dev/null -w '%{http_code}' --max-time 5 -u "${t[OAUTH2_LIVE_CLIENT_ID]}:${t[OAUTH2_LIVE_CLIENT_SECRET]}" \
    -d grant_type=client_credentials "$url/token" || true)
  [ "$code" = 200 ] || fail "self-check failed: the live client secret got HTTP $code" "$LOG"
  code=$(curl --noproxy '*' -s -o /dev/null -w '%{http_code}' --max-time 5 -u "${t[OAUTH2_ROTATED_CLIENT_ID]}:${t[OAUTH2_ROTATED_OLD_SECRET]}" \
    -d grant_type=client_credentials "$url/token" || true)
  [ "$code" = 401 ] || fail "self-check failed: the rotated client's old secret got HTTP $code" "$LOG"

  write_env "OAUTH2_PORT=$PORT" "OAUTH2_PID=$PID" "OAUTH2_URL=$url" "OAUTH2_TOKEN_URL=$url/token" "OAUTH2_LOG=$LOG" \
    "$kv" "SA_LIVE_KEY=$D/sa_live.json" "SA_DELETED_KEY=$D/sa_deleted.json"
}

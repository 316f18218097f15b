#!/usr/bin/env bash
# scim (PyPI scim2-server): a bearer token and three users, active, deactivated, deleted.
# Sourced by scripts/servers.sh after lib.sh (which lists the variables start_scim relies on).
# Run on its own: scripts/servers/scim.sh DIR [--port P] = scripts/servers.sh start scim DIR [--port P].
[ "${BASH_SOURCE[0]}" != "$0" ] || exec "$(dirname "$0")/../servers.sh" start scim "$@"

start_scim() {
  need python3 python3
  need curl curl
  need_py scim2_server.testserver.cli scim2-server
  local token
  token=$(rand_hex 24)
  printf '%s' "$token" >"$D/token"; chmod 600 "$D/token"
  LOG="$D/scim.log"
  local url="http://127.0.0.1:$PORT"
  # The token on the command line is what scim2-server offers; only root and its owner see it.
  launch "$LOG" python3 -c 'import sys; from scim2_server.testserver.cli import main; sys.argv[0] = "scim2-server"; sys.exit(main())' \
    --hostname 127.0.0.1 --port "$PORT" --bearer-token "$token"
  wait_ready "$url/ServiceProviderConfig" "$LOG" \
    curl --noproxy '*' -sf --max-time 2 -o /dev/null -H "Authorization: Bearer $token" "$url/ServiceProviderConfig"

  SCIM_URL="$url" SCIM_TOKEN="$token" SUFFIX="$(rand_hex 3)" python3 - >"$D/users.env" 2>"$D/check.out" <<'EOF' ||
import json, os, urllib.request
base, token, sfx = os.environ["SCIM_URL"], os.environ["SCIM_TOKEN"], os.environ["SUFFIX"]
def call(method, path, body=None, want=(200, 201, 204)):
    req = urllib.request.Request(base + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/scim+json",
                 "Accept": "application/scim+json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        if r.status not in want:
            raise SystemExit(f"{method} {path}: HTTP {r.status}")
        data = r.read()
        return json.loads(data) if data else None
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
out = {}
for label in ("active", "inactive", "deleted"):
    u = call("POST", "/Users", {"schemas": [USER], "userName": f"svc-{label}-{sfx}",
                                "externalId": f"ext-{label}-{sfx}", "active": True,
                                "name": {"givenName": "Svc", "familyName": label}})
    out[label] = u
call("PATCH", "/Users/" + out["inactive"]["id"], {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "replace", "path": "active", "value": False}]})
call("DELETE", "/Users/" + out["deleted"]["id"])
assert call("GET", "/Users/" + out["inactive"]["id"])["active"] is False
try:
    call("GET", "/Users/" + out["deleted"]["id"])
    raise SystemExit("deleted user still served")
except urllib.error.HTTPError as e:
    if e.code != 404:
        raise SystemExit(f"deleted user: HTTP {e.code}, expected 404")
for label, u in out.items():
    L = label.upper()
    print(f"SCIM_{L}_USER={u['userName']}")
    print(f"SCIM_{L}_ID={u['id']}")
    print(f"SCIM_{L}_EXTERNAL_ID={u['externalId']}")
EOF
    fail "creating SCIM users failed" "$D/check.out" "$LOG"

  local code
  code=$(curl --noproxy '*' -s --max-time 5 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer wrong-$token" "$url/Users" || true)
  [ "$code" = 401 ] || fail "self-check failed: a wrong bearer token got HTTP $code, expected 401" "$LOG"

  write_env "SCIM_PORT=$PORT" "SCIM_PID=$PID" "SCIM_URL=$url" "SCIM_TOKEN=$token" "SCIM_TOKEN_FILE=$D/token" \
    "SCIM_LOG=$LOG" "$(cat "$D/users.env")"
  rm -f "$D/users.env"
}

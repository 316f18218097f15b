#!/usr/bin/env bash
# Baselines: authentications per second each test server sustains with its own native client,
# one client at a time, in a shell loop (each iteration starts a fresh client process and a
# fresh connection). revenant's protocol probes are compared against these in the same run.
#
#   scripts/servers-bench.sh [NAME...]      (default: every server of scripts/servers.sh)
#
# Env: BENCH_SECONDS (default 5) and BENCH_MAX (default 200): each measurement runs until one
# of them is reached. Prints "name: N auths/s" (live credential) and "name-dead: N auths/s"
# (the refused credential). Starts and stops the servers itself, in a temporary directory.
set -euo pipefail

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SECS=${BENCH_SECONDS:-5}
MAX=${BENCH_MAX:-200}
NAMES=("$@")
[ "${#NAMES[@]}" -gt 0 ] || NAMES=(slapd sshd postgres dovecot moto introspection scim)

DIR=$(mktemp -d /tmp/revenant-servers-bench.XXXXXX)
cleanup() { "$SCRIPTS/servers.sh" stop "$DIR" || true; rm -rf "$DIR"; }
trap cleanup EXIT

# rate LABEL EXPECTED-EXIT COMMAND...: runs COMMAND until SECS or MAX; every run must exit as expected.
rate() {
  local label=$1 want=$2; shift 2
  local n=0 rc start now
  start=${EPOCHREALTIME/./}
  while :; do
    rc=0; "$@" >/dev/null 2>&1 || rc=$?
    if [ "$rc" != "$want" ]; then echo "$label: FAILED (exit $rc, expected $want, after $n runs)"; return 0; fi
    n=$((n + 1))
    now=${EPOCHREALTIME/./}
    if [ "$n" -ge "$MAX" ] || [ $((now - start)) -ge $((SECS * 1000000)) ]; then break; fi
  done
  awk -v l="$label" -v n="$n" -v us="$((now - start))" 'BEGIN { printf "%s: %.1f auths/s (%d in %.2f s)\n", l, n / (us / 1e6), n, us / 1e6 }'
}

# status_is CODE COMMAND...: COMMAND (a curl printing %{http_code}) answered CODE.
status_is() { local want=$1; shift; [ "$("$@" 2>/dev/null)" = "$want" ]; }

for name in "${NAMES[@]}"; do
  "$SCRIPTS/servers.sh" start "$name" "$DIR" >/dev/null
  set -a; . "$DIR/$name.env"; set +a
  case $name in
    slapd)
      rate slapd 0 ldapwhoami -x -H "$LDAP_URL" -D "$LDAP_LIVE_DN" -w "$LDAP_LIVE_PASSWORD"
      rate slapd-dead 49 ldapwhoami -x -H "$LDAP_URL" -D "$LDAP_DEAD_DN" -w "$LDAP_DEAD_PASSWORD" ;;
    sshd)
      ssh_opts=(-F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none
                -o UserKnownHostsFile="$SSHD_KNOWN_HOSTS" -o StrictHostKeyChecking=yes -p "$SSHD_PORT")
      rate sshd 0 ssh "${ssh_opts[@]}" -i "$SSH_LIVE_ED25519" "$SSHD_USER@127.0.0.1" true
      rate sshd-rsa 0 ssh "${ssh_opts[@]}" -i "$SSH_LIVE_RSA" "$SSHD_USER@127.0.0.1" true
      rate sshd-dead 255 ssh "${ssh_opts[@]}" -i "$SSH_DEAD_ED25519" "$SSHD_USER@127.0.0.1" true ;;
    postgres)
      rate postgres 0 env PGPASSWORD="$PG_LIVE_PASSWORD" psql -X -q -w -h 127.0.0.1 -p "$PG_PORT" -U "$PG_LIVE_USER" -d "$PG_DATABASE" -c 'select 1'
      rate postgres-dead 2 env PGPASSWORD="$PG_DEAD_PASSWORD" psql -X -q -w -h 127.0.0.1 -p "$PG_PORT" -U "$PG_DEAD_USER" -d "$PG_DATABASE" -c 'select 1' ;;
    dovecot)
      rate dovecot 0 curl --noproxy '*' -s "$IMAP_URL" -u "$IMAP_LIVE_USER:$IMAP_LIVE_PASSWORD"
      rate dovecot-dead 67 curl --noproxy '*' -s "$IMAP_URL" -u "$IMAP_DEAD_USER:$IMAP_DEAD_PASSWORD" ;;
    moto)
      sts=(curl --noproxy '*' -s -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:sts"
           -d "Action=GetCallerIdentity&Version=2011-06-15" "$AWS_ENDPOINT/")
      rate moto 0 status_is 200 "${sts[@]}" --user "$AWS_LIVE_KEY_ID:$AWS_LIVE_SECRET"
      rate moto-dead 0 status_is 403 "${sts[@]}" --user "$AWS_DEAD_KEY_ID:$AWS_DEAD_SECRET" ;;
    introspection)
      intro=(curl --noproxy '*' -s -u "$INTROSPECT_CLIENT_ID:$INTROSPECT_CLIENT_SECRET" "$INTROSPECT_URL")
      active() { "${intro[@]}" -d "token=$1" | grep -q "\"active\": $2"; }
      rate introspection 0 active "$TOKEN_ACTIVE" true
      rate introspection-dead 0 active "$TOKEN_REVOKED" false ;;
    scim)
      get=(curl --noproxy '*' -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $SCIM_TOKEN")
      rate scim 0 status_is 200 "${get[@]}" "$SCIM_URL/Users/$SCIM_ACTIVE_ID"
      rate scim-dead 0 status_is 404 "${get[@]}" "$SCIM_URL/Users/$SCIM_DELETED_ID" ;;
    *) echo "servers-bench: unknown server $name" >&2; exit 2 ;;
  esac
  "$SCRIPTS/servers.sh" stop "$DIR"
done

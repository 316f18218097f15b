#!/usr/bin/env bash
# End-to-end check of scripts/servers.sh: starts every server into DIR (a fresh temporary
# directory by default), checks with each server's native client that live credentials are
# accepted and dead ones refused, stops them, and checks that no process and no listener is left.
#
#   scripts/servers/selftest.sh [DIR]
set -uo pipefail

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ $# -ge 1 ]; then DIR=$1; mkdir -p "$DIR"; own_dir=0
else DIR=$(mktemp -d /tmp/revenant-servers-selftest.XXXXXX); own_dir=1; fi
DIR=$(cd "$DIR" && pwd)
NAMES=(sshd slapd ppolicy dovecot postgres moto scim introspection tsa oauth2token mariadb redis kdc)
failures=0
ok() { echo "  ok   $*"; }
bad() { echo "  FAIL $*"; failures=$((failures + 1)); }

# expect WHAT EXIT COMMAND...
expect() {
  local what=$1 want=$2 rc=0; shift 2
  "$@" >"$DIR/selftest.out" 2>&1 || rc=$?
  if [ "$rc" = "$want" ]; then ok "$what (exit $rc)"; else bad "$what: exit $rc, expected $want: $(tail -c 300 "$DIR/selftest.out")"; fi
}
# expect_out WHAT PATTERN COMMAND...
expect_out() {
  local what=$1 pat=$2 out; shift 2
  out=$("$@" 2>&1 || true)
  if [[ "$out" == *$pat* ]]; then ok "$what"; else bad "$what: got: ${out:0:300}"; fi
}

echo "servers in $DIR"
t0=${EPOCHREALTIME/./}
for n in "${NAMES[@]}"; do
  s=${EPOCHREALTIME/./}
  if "$SCRIPTS/servers.sh" start "$n" "$DIR"; then
    ok "start $n ($(( (${EPOCHREALTIME/./} - s) / 1000 )) ms)"
  else
    bad "start $n"
  fi
done
set -a
for n in "${NAMES[@]}"; do [ -f "$DIR/$n.env" ] && . "$DIR/$n.env"; done
set +a

echo "sshd"
ssh_opts=(-F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none
          -o UserKnownHostsFile="$SSHD_KNOWN_HOSTS" -o StrictHostKeyChecking=yes -p "$SSHD_PORT")
for t in ED25519 ECDSA RSA; do
  live=SSH_LIVE_$t dead=SSH_DEAD_$t
  expect "live $t key accepted" 0 ssh "${ssh_opts[@]}" -i "${!live}" "$SSHD_USER@127.0.0.1" true
  expect "dead $t key refused" 255 ssh "${ssh_opts[@]}" -i "${!dead}" "$SSHD_USER@127.0.0.1" true
done
for alg in rsa-sha2-256 rsa-sha2-512; do
  expect "live RSA key with $alg only" 0 ssh "${ssh_opts[@]}" -o PubkeyAcceptedAlgorithms=$alg -i "$SSH_LIVE_RSA" "$SSHD_USER@127.0.0.1" true
done
expect "host key fingerprint is $SSHD_HOST_KEY_SHA256" 0 sh -c \
  "ssh-keyscan -T 5 -t ed25519 -p $SSHD_PORT 127.0.0.1 2>/dev/null | ssh-keygen -lf - | grep -qF '$SSHD_HOST_KEY_SHA256'"

echo "slapd"
expect "live DN bind" 0 ldapwhoami -x -H "ldap://127.0.0.1:$LDAP_PORT" -D "$LDAP_LIVE_DN" -w "$LDAP_LIVE_PASSWORD"
expect "live DN bind over LDAPS" 0 env LDAPTLS_CACERT="$LDAP_CA" LDAPTLS_REQCERT=demand ldapwhoami -x -H "ldaps://127.0.0.1:$LDAPS_PORT" -D "$LDAP_LIVE_DN" -w "$LDAP_LIVE_PASSWORD"
expect "deleted DN refused" 49 ldapwhoami -x -H "ldap://127.0.0.1:$LDAP_PORT" -D "$LDAP_DEAD_DN" -w "$LDAP_DEAD_PASSWORD"
expect "rotated DN, old password refused" 49 ldapwhoami -x -H "ldap://127.0.0.1:$LDAP_PORT" -D "$LDAP_CHANGED_DN" -w "$LDAP_OLD_PASSWORD"
expect "live DN, wrong password refused" 49 ldapwhoami -x -H "ldap://127.0.0.1:$LDAP_PORT" -D "$LDAP_LIVE_DN" -w "wrong"

echo "ppolicy"
pp=(ldapwhoami -x -e ppolicy -H "$PPOLICY_URL")
expect "user's password accepted" 0 "${pp[@]}" -D "$PPOLICY_USER_DN" -w "$PPOLICY_USER_PASSWORD"
expect "locked account, right password refused" 49 "${pp[@]}" -D "$PPOLICY_LOCKED_DN" -w "$PPOLICY_LOCKED_PASSWORD"
expect_out "lock reported with ppolicy_use_lockout" "Account locked" "${pp[@]}" -D "$PPOLICY_REPORTED_LOCKED_DN" -w "$PPOLICY_REPORTED_LOCKED_PASSWORD"
expect_out "expired password reported" "Password expired" "${pp[@]}" -D "$PPOLICY_EXPIRED_DN" -w "$PPOLICY_EXPIRED_PASSWORD"

echo "dovecot"
expect "live user" 0 curl --noproxy '*' -s "imap://127.0.0.1:$IMAP_PORT/" -u "$IMAP_LIVE_USER:$IMAP_LIVE_PASSWORD"
expect "removed user refused" 67 curl --noproxy '*' -s "imap://127.0.0.1:$IMAP_PORT/" -u "$IMAP_DEAD_USER:$IMAP_DEAD_PASSWORD"
expect "rotated user, old password refused" 67 curl --noproxy '*' -s "imap://127.0.0.1:$IMAP_PORT/" -u "$IMAP_ROTATED_USER:$IMAP_OLD_PASSWORD"

echo "postgres"
pq=(psql -X -w -h 127.0.0.1 -p "$PG_PORT" -d "$PG_DATABASE" -v VERBOSITY=verbose -c 'select 1')
expect "live role" 0 env PGPASSWORD="$PG_LIVE_PASSWORD" "${pq[@]}" -U "$PG_LIVE_USER"
expect_out "dropped role refused (28P01)" "password authentication failed" env PGPASSWORD="$PG_DEAD_PASSWORD" "${pq[@]}" -U "$PG_DEAD_USER"
expect_out "rotated role, old password refused" "password authentication failed" env PGPASSWORD="$PG_OLD_PASSWORD" "${pq[@]}" -U "$PG_ROTATED_USER"
# psql prints no SQLSTATE for a failed connection; the server log's prefix carries it (%e).
expect_out "SQLSTATE 28P01 for the dropped role in the server log" "28P01" grep "\"$PG_DEAD_USER\"" "$PG_LOG"

echo "moto"
sts=(curl --noproxy '*' -s -w ' %{http_code}' --aws-sigv4 "aws:amz:us-east-1:sts" -d "Action=GetCallerIdentity&Version=2011-06-15" "$AWS_ENDPOINT/")
expect_out "live key 200 with account $AWS_LIVE_ACCOUNT" "$AWS_LIVE_ACCOUNT" "${sts[@]}" --user "$AWS_LIVE_KEY_ID:$AWS_LIVE_SECRET"
expect_out "deleted key 403 InvalidClientTokenId" "InvalidClientTokenId" "${sts[@]}" --user "$AWS_DEAD_KEY_ID:$AWS_DEAD_SECRET"
expect_out "live key, wrong secret 403 SignatureDoesNotMatch" "SignatureDoesNotMatch" "${sts[@]}" --user "$AWS_LIVE_KEY_ID:x$AWS_LIVE_SECRET"

echo "scim"
scim=(curl --noproxy '*' -s -H "Authorization: Bearer $SCIM_TOKEN")
expect_out "active user active" '"active": true' "${scim[@]}" "$SCIM_URL/Users/$SCIM_ACTIVE_ID"
expect_out "inactive user inactive" '"active": false' "${scim[@]}" "$SCIM_URL/Users/$SCIM_INACTIVE_ID"
expect_out "deleted user 404" " 404" "${scim[@]}" -w ' %{http_code}' "$SCIM_URL/Users/$SCIM_DELETED_ID"
expect_out "deleted user absent from a filter" '"totalResults": 0' "${scim[@]}" -G --data-urlencode "filter=userName eq \"$SCIM_DELETED_USER\"" "$SCIM_URL/Users"
expect_out "wrong token 401" " 401" curl --noproxy '*' -s -o /dev/null -w ' %{http_code}' -H "Authorization: Bearer nope" "$SCIM_URL/Users"

echo "introspection"
intro=(curl --noproxy '*' -s -u "$INTROSPECT_CLIENT_ID:$INTROSPECT_CLIENT_SECRET" "$INTROSPECT_URL")
expect_out "active token active" '"active": true' "${intro[@]}" -d "token=$TOKEN_ACTIVE"
expect_out "revoked token inactive" '"active": false' "${intro[@]}" -d "token=$TOKEN_REVOKED"
expect_out "expired token inactive" '"active": false' "${intro[@]}" -d "token=$TOKEN_EXPIRED"
expect_out "unknown token inactive" '"active": false' "${intro[@]}" -d "token=nope"
expect_out "wrong client secret 401" " 401" curl --noproxy '*' -s -o /dev/null -w ' %{http_code}' -u "$INTROSPECT_CLIENT_ID:nope" -d "token=$TOKEN_ACTIVE" "$INTROSPECT_URL"

echo "tsa"
printf 'selftest' >"$DIR/tsa-selftest.dat"
openssl ts -query -data "$DIR/tsa-selftest.dat" -sha256 -cert -out "$DIR/tsa-selftest.tsq" >/dev/null 2>&1
curl --noproxy '*' -s -H 'Content-Type: application/timestamp-query' --data-binary "@$DIR/tsa-selftest.tsq" -o "$DIR/tsa-selftest.tsr" "$TSA_URL"
expect_out "a stamp verifies against the TSA's CA" "Verification: OK" openssl ts -verify -data "$DIR/tsa-selftest.dat" -in "$DIR/tsa-selftest.tsr" -CAfile "$TSA_CA"
printf 'other' >"$DIR/tsa-other.dat"
expect_out "a stamp of other data does not" "Verification: FAILED" openssl ts -verify -data "$DIR/tsa-other.dat" -in "$DIR/tsa-selftest.tsr" -CAfile "$TSA_CA"

echo "oauth2token"
tok=(curl --noproxy '*' -s --max-time 5 -d grant_type=client_credentials)
expect_out "live client secret gets a token" '"access_token"' "${tok[@]}" -u "$OAUTH2_LIVE_CLIENT_ID:$OAUTH2_LIVE_CLIENT_SECRET" "$OAUTH2_TOKEN_URL"
expect_out "rotated client's new secret gets a token" '"access_token"' "${tok[@]}" -u "$OAUTH2_ROTATED_CLIENT_ID:$OAUTH2_ROTATED_NEW_SECRET" "$OAUTH2_TOKEN_URL"
expect_out "its old secret: invalid_client" '"invalid_client"' "${tok[@]}" -u "$OAUTH2_ROTATED_CLIENT_ID:$OAUTH2_ROTATED_OLD_SECRET" "$OAUTH2_TOKEN_URL"

echo "mariadb"
my=(mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P "$MARIADB_PORT" -e 'select 1')
expect "live account over verified TLS" 0 "${my[@]}" --ssl --ssl-ca="$MARIADB_CA" --ssl-verify-server-cert -u "$MARIADB_LIVE_USER" -p"$MARIADB_LIVE_PASSWORD"
expect_out "dropped account refused (1045)" "ERROR 1045" "${my[@]}" -u "$MARIADB_DEAD_USER" -p"$MARIADB_DEAD_PASSWORD"
expect_out "rotated account, old password refused (1045)" "ERROR 1045" "${my[@]}" -u "$MARIADB_ROTATED_USER" -p"$MARIADB_OLD_PASSWORD"
expect_out "locked account (4151)" "ERROR 4151" "${my[@]}" -u "$MARIADB_LOCKED_USER" -p"$MARIADB_LOCKED_PASSWORD"
expect_out "expired password (1862)" "ERROR 1862" "${my[@]}" -u "$MARIADB_EXPIRED_USER" -p"$MARIADB_EXPIRED_PASSWORD"
expect_out "no TLS on the plain instance" "ERROR 2026" mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P "$MARIADB_PLAIN_PORT" \
  --ssl --ssl-ca="$MARIADB_CA" --ssl-verify-server-cert -u "$MARIADB_LIVE_USER" -p"$MARIADB_LIVE_PASSWORD" -e 'select 1'

echo "redis"
rc=(redis-cli --no-auth-warning -h 127.0.0.1 -p "$REDIS_PORT")
expect_out "live user" "OK" "${rc[@]}" AUTH "$REDIS_LIVE_USER" "$REDIS_LIVE_PASSWORD"
expect_out "live user over verified TLS" "OK" redis-cli --no-auth-warning -h 127.0.0.1 -p "$REDIS_TLS_PORT" --tls --cacert "$REDIS_CA" AUTH "$REDIS_LIVE_USER" "$REDIS_LIVE_PASSWORD"
expect_out "deleted user refused" "WRONGPASS" "${rc[@]}" AUTH "$REDIS_DEAD_USER" "$REDIS_DEAD_PASSWORD"
expect_out "rotated user, old password refused" "WRONGPASS" "${rc[@]}" AUTH "$REDIS_ROTATED_USER" "$REDIS_OLD_PASSWORD"
expect_out "disabled user, right password refused alike" "WRONGPASS" "${rc[@]}" AUTH "$REDIS_DISABLED_USER" "$REDIS_DISABLED_PASSWORD"

echo "kdc"
kinit_as() { printf '%s\n' "$2" | KRB5_CONFIG="$KDC_KRB5_CONFIG" kinit -c MEMORY:selftest "$1"; }
expect "live principal gets a ticket" 0 kinit_as "$KRB_LIVE_USER" "$KRB_LIVE_PASSWORD"
expect "rotated principal, old password refused" 1 kinit_as "$KRB_ROTATED_USER" "$KRB_OLD_PASSWORD"
expect_out "the KDC logged PREAUTH_FAILED for it" "PREAUTH_FAILED: $KRB_ROTATED_USER@" grep -F "$KRB_ROTATED_USER@" "$KDC_LOG"
expect_out "disabled principal: CLIENT_REVOKED" "revoked" kinit_as "$KRB_DISABLED_USER" "$KRB_DISABLED_PASSWORD"


echo "listeners bound to 127.0.0.1 only"
ports=("$SSHD_PORT" "$LDAP_PORT" "$LDAPS_PORT" "$IMAP_PORT" "$PG_PORT" "$AWS_PORT" "$SCIM_PORT" "$INTROSPECT_PORT" "$TSA_PORT" "$OAUTH2_PORT" "$MARIADB_PORT" "$MARIADB_PLAIN_PORT" "$REDIS_PORT" "$REDIS_TLS_PORT" "$KDC_PORT")
for p in "${ports[@]}"; do
  addrs=$(ss -Hltn "sport = :$p" | awk '{print $4}' | sort -u | tr '\n' ' ')
  if [ "$addrs" = "127.0.0.1:$p " ]; then ok "port $p: $addrs"; else bad "port $p listens on: '$addrs'"; fi
done

pids=$(awk '{print $2}' "$DIR/servers.pids")
echo "stop"
"$SCRIPTS/servers.sh" stop "$DIR" && ok "stop" || bad "stop"
"$SCRIPTS/servers.sh" stop "$DIR" && ok "second stop (idempotent)" || bad "second stop"
sleep 0.3
left=$(pgrep -a -f "$DIR" | grep -v "servers/selftest.sh" || true)
for p in $pids; do
  if [ -e "/proc/$p" ] && ! grep -q '^[^)]*) Z' "/proc/$p/stat" 2>/dev/null; then left+=" pid $p"; fi
done
[ -z "$left" ] && ok "no process left" || bad "processes left: $left"
for p in "${ports[@]}"; do
  if ss -Hltn "sport = :$p" | grep -q .; then bad "port $p still listening"; fi
done
ls "$DIR"/*.env >/dev/null 2>&1 && bad "env files left" || ok "env files removed"
echo "total $(( (${EPOCHREALTIME/./} - t0) / 1000 )) ms, $failures failure(s)"
[ "$own_dir" = 1 ] && [ "$failures" = 0 ] && rm -rf "$DIR"
[ "$failures" = 0 ]

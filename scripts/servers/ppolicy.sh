#!/usr/bin/env bash
# slapd with the ppolicy overlay (Debian slapd ships it in /usr/lib/ldap): accounts that a
# password policy locks after two failed binds. Two databases: one as slapd is by default, which
# answers a locked account exactly as a wrong password, and one with `ppolicy_use_lockout`, which
# says `accountLocked` in the password policy response control.
# Sourced by scripts/servers.sh after lib.sh (which lists the variables start_ppolicy relies on).
# Run on its own: scripts/servers/ppolicy.sh DIR [--port P] = scripts/servers.sh start ppolicy DIR [--port P].
[ "${BASH_SOURCE[0]}" != "$0" ] || exec "$(dirname "$0")/../servers.sh" start ppolicy "$@"

# ppolicy_person DN PASSWORD [LINES]: an inetOrgPerson entry, with more attribute lines when given.
ppolicy_person() {
  local cn=${1%%,*}; cn=${cn#cn=}
  printf 'dn: %s\nobjectClass: inetOrgPerson\ncn: %s\nsn: %s\nuserPassword: %s\n%s\n' \
    "$1" "$cn" "$cn" "$(slappasswd -h '{SSHA}' -s "$2")" "${3:-}"
}

start_ppolicy() {
  need slapd slapd
  need slapadd slapd
  need slappasswd slapd
  need ldapwhoami ldap-utils
  local mod=/usr/lib/ldap schema=/etc/ldap/schema
  [ -e "$mod/ppolicy.so" ] || die "ppolicy: $mod/ppolicy.so missing (slapd package incomplete)"
  local hidden="dc=example,dc=test" reported="dc=reported,dc=test" admin_pw
  admin_pw=$(rand_hex)
  local locked_dn="cn=locked,ou=people,$hidden" user_dn="cn=alice,ou=people,$hidden"
  local reported_dn="cn=locked,ou=people,$reported" expired_dn="cn=expired,ou=people,$reported"
  local locked_pw user_pw old_pw reported_pw expired_pw
  locked_pw=$(rand_hex); user_pw=$(rand_hex); old_pw=$(rand_hex); reported_pw=$(rand_hex); expired_pw=$(rand_hex)

  {
    printf 'include %s/%s.schema\n' "$schema" core "$schema" cosine "$schema" inetorgperson
    printf 'modulepath %s\nmoduleload back_mdb\nmoduleload ppolicy\n' "$mod"
    printf 'pidfile %s/slapd.pid\nargsfile %s/slapd.args\n' "$D" "$D"
    local base extra
    for base in "$hidden" "$reported"; do
      mkdir -p "$D/data-${base%%,*}"
      # Only the second database reports a lock in the response control.
      extra=""; [ "$base" = "$reported" ] && extra="ppolicy_use_lockout"
      cat <<EOF

database mdb
maxsize 67108864
suffix "$base"
rootdn "cn=admin,$base"
rootpw $(slappasswd -h '{SSHA}' -s "$admin_pw")
directory $D/data-${base%%,*}
overlay ppolicy
ppolicy_default "cn=default,ou=policies,$base"
$extra
access to attrs=userPassword by self write by anonymous auth by * none
access to * by users read by * none
EOF
    done
  } >"$D/slapd.conf"

  local entry dc
  for base in "$hidden" "$reported"; do
    dc=${base%%,*}; dc=${dc#dc=}
    {
      printf 'dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: %s\no: revenant test\n\n' "$base" "$dc"
      printf 'dn: ou=policies,%s\nobjectClass: organizationalUnit\nou: policies\n\n' "$base"
      printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$base"
      # Locked after two failed binds, for five minutes (longer than a test run).
      printf 'dn: cn=default,ou=policies,%s\nobjectClass: pwdPolicy\nobjectClass: device\ncn: default\n' "$base"
      printf 'pwdAttribute: userPassword\npwdLockout: TRUE\npwdMaxFailure: 2\npwdLockoutDuration: 300\n\n'
      if [ "$base" = "$hidden" ]; then
        ppolicy_person "$locked_dn" "$locked_pw"
        ppolicy_person "$user_dn" "$user_pw"
      else
        # Passwords older than a day expire, with no grace binds: the expired account's is from 2000.
        printf 'dn: cn=expiring,ou=policies,%s\nobjectClass: pwdPolicy\nobjectClass: device\ncn: expiring\n' "$base"
        printf 'pwdAttribute: userPassword\npwdMaxAge: 86400\npwdGraceAuthNLimit: 0\n\n'
        ppolicy_person "$reported_dn" "$reported_pw"
        ppolicy_person "$expired_dn" "$expired_pw" \
          "$(printf 'pwdPolicySubentry: cn=expiring,ou=policies,%s\npwdChangedTime: 20000101000000Z\n' "$base")
"
      fi
    } >"$D/seed-${base%%,*}.ldif"
    slapadd -f "$D/slapd.conf" -b "$base" -l "$D/seed-${base%%,*}.ldif" >"$D/slapadd.log" 2>&1 ||
      fail "slapadd $base failed" "$D/slapadd.log"
  done

  LOG="$D/slapd.log"
  local url="ldap://127.0.0.1:$PORT"
  launch "$LOG" slapd -d none -f "$D/slapd.conf" -h "$url/"
  wait_ready "a bind on $url" "$LOG" ldapwhoami -x -H "$url" -D "$user_dn" -w "$user_pw"

  # Two wrong passwords lock each "locked" account; then its right password gets 49 too.
  for entry in "$locked_dn:$locked_pw" "$reported_dn:$reported_pw"; do
    check "right password before the lock" 0 ldapwhoami -x -H "$url" -D "${entry%:*}" -w "${entry##*:}"
    check "first wrong password" 49 ldapwhoami -x -H "$url" -D "${entry%:*}" -w "wrong-1"
    check "second wrong password" 49 ldapwhoami -x -H "$url" -D "${entry%:*}" -w "wrong-2"
    check "right password once locked" 49 ldapwhoami -x -H "$url" -D "${entry%:*}" -w "${entry##*:}"
  done
  check "lock reported" 0 sh -c "ldapwhoami -x -e ppolicy -H '$url' -D '$reported_dn' -w '$reported_pw' 2>&1 | grep -q 'Account locked'"
  check "expiry reported" 0 sh -c "ldapwhoami -x -e ppolicy -H '$url' -D '$expired_dn' -w '$expired_pw' 2>&1 | grep -q 'Password expired'"

  write_env \
    "PPOLICY_PORT=$PORT" "PPOLICY_PID=$PID" "PPOLICY_URL=$url" "PPOLICY_LOG=$LOG" \
    "PPOLICY_LOCKED_DN=$locked_dn" "PPOLICY_LOCKED_PASSWORD=$locked_pw" \
    "PPOLICY_USER_DN=$user_dn" "PPOLICY_USER_PASSWORD=$user_pw" "PPOLICY_USER_OLD_PASSWORD=$old_pw" \
    "PPOLICY_REPORTED_LOCKED_DN=$reported_dn" "PPOLICY_REPORTED_LOCKED_PASSWORD=$reported_pw" \
    "PPOLICY_EXPIRED_DN=$expired_dn" "PPOLICY_EXPIRED_PASSWORD=$expired_pw"
}

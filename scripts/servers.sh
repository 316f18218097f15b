#!/usr/bin/env bash
# Real servers for revenant's protocol-probe integration tests. Everything binds 127.0.0.1 only.
#
#   scripts/servers.sh start NAME DIR [--port P]
#   scripts/servers.sh stop DIR
#
# NAME: sshd slapd dovecot postgres moto scim introspection (see scripts/servers/README.md).
# start: picks a free port at run time (unless --port), generates every secret and key into
# DIR/NAME/, starts the server in its own session, waits until a real client authenticates
# against it, and writes DIR/NAME.env (KEY=VALUE lines, absolute paths, no quoting needed).
# Starting a NAME that already runs under DIR restarts it with fresh secrets.
# stop: ends every server started under DIR (recorded in DIR/servers.pids with their start
# times, so a reused pid is never hit), their children and anything left in their sessions;
# removes the .env files. Idempotent.
#
# Needs root (sshd refuses logins otherwise; dovecot and postgres switch users). Non-root
# servers (postgres, dovecot's auth process, sshd reading authorized_keys as the login user)
# must traverse DIR: start adds the o+x bit (traverse only, no listing) to DIR when needed.
set -euo pipefail

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$SCRIPTS/servers.sh"
TEST_USER=revenant-test
NAMES="sshd slapd dovecot postgres moto scim introspection"
READY_TIMEOUT=${REVENANT_SERVERS_TIMEOUT:-30}

die() { echo "servers.sh: $*" >&2; exit 1; }
usage() { echo "usage: $0 start NAME DIR [--port P] | stop DIR   (NAME: ${NAMES// /, })" >&2; exit 2; }

# ---------------------------------------------------------------------------------------------
# Processes

# True if PID exists and is not a zombie.
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# Kernel start time of PID (field 22 of /proc/PID/stat), to recognise it later.
starttime() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo "${20}"
}

# Every descendant of the given pids, and every process in their sessions (a child that was
# re-parented to init stays in its session unless it called setsid itself).
related() {
  ps -e -o pid=,ppid=,sid= 2>/dev/null | awk -v roots="$*" '
    BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) { want[r[i]] = 1; sess[r[i]] = 1 } }
    { pid[NR] = $1; ppid[NR] = $2; sid[NR] = $3 }
    END {
      changed = 1
      while (changed) {
        changed = 0
        for (i = 1; i <= NR; i++)
          if (!(pid[i] in want) && ((ppid[i] in want) || (sid[i] in sess))) { want[pid[i]] = 1; changed = 1 }
      }
      for (p in want) print p
    }'
}

# Stops the servers recorded in DIR/servers.pids; only NAME when given.
stop_servers() {
  local dir=$1 only=${2:-} file="$1/servers.pids"
  [ -f "$file" ] || return 0
  local name pid start roots=() keep=() int=() stopped=()
  while read -r name pid start; do
    [[ "$pid" =~ ^[0-9]+$ ]] || continue
    if [ -n "$only" ] && [ "$name" != "$only" ]; then keep+=("$name $pid $start"); continue; fi
    stopped+=("$name")
    alive "$pid" && [ "$(starttime "$pid")" = "$start" ] || continue
    roots+=("$pid")
    # PostgreSQL: SIGTERM is "smart" shutdown (waits for clients); SIGINT is "fast".
    [ "$name" = postgres ] && int+=("$pid")
  done <"$file"
  if [ "${#roots[@]}" -gt 0 ]; then
    local all=() p i running
    mapfile -t all < <(related "${roots[@]}")
    for p in "${roots[@]}"; do
      if [[ " ${int[*]} " == *" $p "* ]]; then kill -INT "$p" 2>/dev/null || true
      else kill -TERM "$p" 2>/dev/null || true; fi
    done
    for i in $(seq 1 50); do
      running=()
      for p in "${all[@]}"; do alive "$p" && running+=("$p"); done
      [ "${#running[@]}" -eq 0 ] && break
      # After 2 s, TERM whatever is left (children the master did not take down).
      [ "$i" = 20 ] && kill -TERM "${running[@]}" 2>/dev/null || true
      sleep 0.1
    done
    # Children that appeared during shutdown, then KILL the rest.
    mapfile -t -O "${#all[@]}" all < <(related "${roots[@]}")
    for p in "${all[@]}"; do alive "$p" && kill -KILL "$p" 2>/dev/null || true; done
  fi
  for name in "${stopped[@]}"; do rm -f "$dir/$name.env"; done
  # sshd's password user exists only while its server runs.
  if [[ " ${stopped[*]} " == *" sshd "* ]] && [ -f "$dir/sshd/password_user" ]; then
    userdel "$(cat "$dir/sshd/password_user")" 2>/dev/null || true
    rm -f "$dir/sshd/password_user"
  fi
  if [ "${#keep[@]}" -gt 0 ]; then printf '%s\n' "${keep[@]}" >"$file.tmp" && mv "$file.tmp" "$file"
  else rm -f "$file"; fi
}

# launch LOG COMMAND...: starts COMMAND in a new session, stdout+stderr appended to LOG; sets PID.
PID=
launch() {
  local log=$1; shift
  setsid "$@" </dev/null >>"$log" 2>&1 &
  PID=$!
  echo "$NAME $PID $(starttime "$PID")" >>"$DIR/servers.pids"
}

# ---------------------------------------------------------------------------------------------
# Helpers

need() { # need COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 ||
    die "$NAME: '$1' not found: install the $2 package (scripts/install-deps.sh)"
}

need_py() { # need_py MODULE PACKAGE
  python3 -c "import $1" >/dev/null 2>&1 ||
    die "$NAME: python3 cannot import $1: install the PyPI package $2 (scripts/install-deps.sh)"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

rand_hex() { openssl rand -hex "${1:-16}"; }

# Start failed: message, log tail, stop what was started; retry with another port when the
# picked one was taken in between (unless --port was given).
fail() {
  local why=$1; shift
  local in_use=0 f
  for f in "$@"; do
    grep -qsiE 'address already in use|could not bind|bind\(\) .* failed|errno 98|EADDRINUSE' "$f" && in_use=1
  done
  stop_servers "$DIR" "$NAME"
  local attempt=${REVENANT_SERVERS_ATTEMPT:-1}
  if [ "$in_use" = 1 ] && [ -z "$PORT_ARG" ] && [ "$attempt" -lt 3 ]; then
    REVENANT_SERVERS_ATTEMPT=$((attempt + 1)) exec "$SELF" start "$NAME" "$DIR"
  fi
  echo "servers.sh: $NAME: $why" >&2
  for f in "$@"; do
    if [ -s "$f" ]; then echo "---- last lines of $f" >&2; tail -n 30 "$f" >&2; fi
  done
  exit 1
}

# wait_ready WHAT LOG COMMAND...: until COMMAND succeeds, the server dies, or the timeout.
wait_ready() {
  local what=$1 log=$2; shift 2
  local deadline=$((SECONDS + READY_TIMEOUT))
  while :; do
    alive "$PID" || fail "exited during start-up (waiting for $what)" "$log"
    if "$@" >/dev/null 2>&1; then return 0; fi
    [ "$SECONDS" -ge "$deadline" ] && fail "not ready within ${READY_TIMEOUT} s (waiting for $what)" "$log"
    sleep 0.1
  done
}

# check WHAT EXPECTED-EXIT COMMAND...: a native-client check after start-up.
check() {
  local what=$1 want=$2 rc=0; shift 2
  "$@" >"$D/check.out" 2>&1 || rc=$?
  [ "$rc" = "$want" ] || fail "self-check failed: $what: exit $rc, expected $want" "$D/check.out" "$LOG"
}

write_env() { # write_env KEY=VALUE...
  local tmp="$DIR/$NAME.env.tmp"
  (umask 077; printf '%s\n' "$@" >"$tmp")
  mv "$tmp" "$DIR/$NAME.env"
}

ensure_test_user() {
  if ! getent passwd "$TEST_USER" >/dev/null; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /bin/sh "$TEST_USER" ||
      die "$NAME: cannot create the local user $TEST_USER"
  fi
  # A "!" (locked) password field makes sshd (UsePAM no) refuse even public keys; "*" is not locked.
  if [ "$(getent shadow "$TEST_USER" | cut -d: -f2)" != '*' ]; then usermod -p '*' "$TEST_USER"; fi
}

# The non-root USER must reach DIR/NAME: add the traverse bit to DIR when needed.
ensure_traversable() {
  local user=$1
  setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups test -x "$D" && return 0
  chmod o+x "$DIR"
  setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups test -x "$D" ||
    die "$NAME: user $user cannot reach $D (a parent directory of $DIR is not traversable)"
}

# ---------------------------------------------------------------------------------------------
# sshd

start_sshd() {
  need /usr/sbin/sshd openssh-server
  need ssh-keygen openssh-client
  need ssh openssh-client
  [ "$(id -u)" = 0 ] || die "sshd: must run as root (an unprivileged sshd listens but refuses every login)"
  ensure_test_user
  mkdir -p /run/sshd
  chmod 755 "$D"
  ensure_traversable "$TEST_USER"

  ssh-keygen -q -t ed25519 -N '' -C "revenant-test-host" -f "$D/host_ed25519"
  local state type
  for state in live dead; do
    ssh-keygen -q -t ed25519 -N '' -C "revenant-$state-ed25519" -f "$D/${state}_ed25519"
    ssh-keygen -q -t ecdsa -b 256 -N '' -C "revenant-$state-ecdsa" -f "$D/${state}_ecdsa"
    ssh-keygen -q -t rsa -b 3072 -N '' -C "revenant-$state-rsa" -f "$D/${state}_rsa"
  done
  # Only the live keys are authorized; the dead ones were "removed" (never listed).
  cat "$D/live_ed25519.pub" "$D/live_ecdsa.pub" "$D/live_rsa.pub" >"$D/authorized_keys"
  chmod 644 "$D/authorized_keys"

  # A password login needs a real password in /etc/shadow (UsePAM no): a user of this instance
  # only (two servers must not reset each other's password), removed again by `stop`.
  local pw_user pw_live pw_old
  pw_user="rvpw-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  pw_live=$(head -c 18 /dev/urandom | base64 | tr -d '/+=\n')
  pw_old=$(head -c 18 /dev/urandom | base64 | tr -d '/+=\n')
  useradd --system --no-create-home --home-dir /nonexistent --shell /bin/sh "$pw_user" ||
    die "sshd: cannot create the local user $pw_user"
  printf '%s\n' "$pw_user" >"$D/password_user"
  printf '%s:%s\n' "$pw_user" "$pw_live" | chpasswd || die "sshd: cannot set the password of $pw_user"

  cat >"$D/sshd_config" <<EOF
# generated by scripts/servers.sh
Port $PORT
ListenAddress 127.0.0.1
AddressFamily inet
HostKey $D/host_ed25519
PidFile $D/sshd.pid
AuthorizedKeysFile $D/authorized_keys
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers $TEST_USER $pw_user
ForceCommand /bin/true
PermitTTY no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
AllowStreamLocalForwarding no
PermitTunnel no
PrintMotd no
MaxStartups 200:30:400
LoginGraceTime 30
LogLevel VERBOSE
Match User $pw_user
    PasswordAuthentication yes
    PubkeyAuthentication no
EOF
  /usr/sbin/sshd -t -f "$D/sshd_config" >"$D/check.out" 2>&1 || fail "sshd -t rejects the generated config" "$D/check.out"

  local host_b64 host_type fp
  read -r host_type host_b64 _ <"$D/host_ed25519.pub"
  printf '[127.0.0.1]:%s %s %s\n' "$PORT" "$host_type" "$host_b64" >"$D/known_hosts"
  fp=$(ssh-keygen -lf "$D/host_ed25519.pub" | awk '{print $2}')

  LOG="$D/sshd.log"
  launch "$LOG" /usr/sbin/sshd -D -e -f "$D/sshd_config"
  wait_ready "'Server listening' in the log" "$LOG" grep -q "Server listening on 127.0.0.1 port $PORT" "$LOG"

  local ssh_opts=(-F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none
                  -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$D/known_hosts"
                  -o ConnectTimeout=5 -p "$PORT")
  check "live Ed25519 key accepted" 0 ssh "${ssh_opts[@]}" -i "$D/live_ed25519" "$TEST_USER@127.0.0.1" true
  check "dead Ed25519 key refused" 255 ssh "${ssh_opts[@]}" -i "$D/dead_ed25519" "$TEST_USER@127.0.0.1" true

  write_env \
    "SSHD_PORT=$PORT" "SSHD_PID=$PID" "SSHD_HOST=127.0.0.1" "SSHD_USER=$TEST_USER" \
    "SSHD_HOST_KEY_TYPE=$host_type" "SSHD_HOST_KEY_B64=$host_b64" \
    "SSHD_HOST_KEY_SHA256=$fp" "SSHD_HOST_KEY_SHA256_B64=${fp#SHA256:}" \
    "SSHD_KNOWN_HOSTS=$D/known_hosts" "SSHD_LOG=$LOG" \
    "SSH_LIVE_ED25519=$D/live_ed25519" "SSH_LIVE_ECDSA=$D/live_ecdsa" "SSH_LIVE_RSA=$D/live_rsa" \
    "SSH_DEAD_ED25519=$D/dead_ed25519" "SSH_DEAD_ECDSA=$D/dead_ecdsa" "SSH_DEAD_RSA=$D/dead_rsa" \
    "SSHD_PASSWORD_USER=$pw_user" "SSHD_LIVE_PASSWORD=$pw_live" "SSHD_OLD_PASSWORD=$pw_old"
}

# A throwaway CA ($D/ca.crt) and a server certificate for 127.0.0.1 and localhost
# ($D/server.crt, $D/server.key), valid two days. $1 names the server in errors, $2 the CA.
make_server_certificate() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=revenant test $2 CA" -keyout "$D/ca.key" -out "$D/ca.crt" >/dev/null 2>&1
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$D/server.key" -out "$D/server.csr" >/dev/null 2>&1
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$D/server.ext"
  openssl x509 -req -in "$D/server.csr" -CA "$D/ca.crt" -CAkey "$D/ca.key" -CAcreateserial -days 2 \
    -extfile "$D/server.ext" -out "$D/server.crt" >/dev/null 2>&1 || die "$1: openssl could not make the test certificate"
}

# ---------------------------------------------------------------------------------------------
# slapd

start_slapd() {
  need slapd slapd
  need slapadd slapd
  need slappasswd slapd
  need ldapwhoami ldap-utils
  need ldapdelete ldap-utils
  need ldappasswd ldap-utils
  need openssl openssl
  local base="dc=example,dc=test" mod=/usr/lib/ldap schema=/etc/ldap/schema
  [ -e "$mod/back_mdb.so" ] || die "slapd: $mod/back_mdb.so missing (slapd package incomplete)"
  local ldaps_port
  if [ -n "$PORT_ARG" ]; then ldaps_port=$((PORT + 1)); else ldaps_port=$(free_port); fi
  [ "$ldaps_port" != "$PORT" ] || ldaps_port=$(free_port)

  local admin_dn="cn=admin,$base" admin_pw live_pw dead_pw old_pw new_pw
  admin_pw=$(rand_hex); live_pw=$(rand_hex); dead_pw=$(rand_hex); old_pw=$(rand_hex); new_pw=$(rand_hex)
  local live_dn="cn=svc-live,ou=services,$base" dead_dn="cn=svc-removed,ou=services,$base"
  local changed_dn="cn=svc-rotated,ou=services,$base"

  # TLS for LDAPS.
  make_server_certificate slapd "LDAP"

  mkdir -p "$D/data"
  cat >"$D/slapd.conf" <<EOF
# generated by scripts/servers.sh
include $schema/core.schema
include $schema/cosine.schema
include $schema/inetorgperson.schema
modulepath $mod
moduleload back_mdb
pidfile $D/slapd.pid
argsfile $D/slapd.args
TLSCACertificateFile $D/ca.crt
TLSCertificateFile $D/server.crt
TLSCertificateKeyFile $D/server.key

database mdb
maxsize 67108864
suffix "$base"
rootdn "$admin_dn"
rootpw $(slappasswd -h '{SSHA}' -s "$admin_pw")
directory $D/data
access to attrs=userPassword by self write by anonymous auth by * none
access to * by users read by * none
EOF
  local dn pw
  {
    printf 'dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: revenant test\n\n' "$base"
    printf 'dn: ou=services,%s\nobjectClass: organizationalUnit\nou: services\n\n' "$base"
    for dn in "$live_dn:$live_pw" "$dead_dn:$dead_pw" "$changed_dn:$old_pw"; do
      pw=${dn##*:}; dn=${dn%:*}
      local cn=${dn%%,*}; cn=${cn#cn=}
      printf 'dn: %s\nobjectClass: inetOrgPerson\ncn: %s\nsn: %s\nuid: %s\nuserPassword: %s\n\n' \
        "$dn" "$cn" "$cn" "$cn" "$(slappasswd -h '{SSHA}' -s "$pw")"
    done
  } >"$D/seed.ldif"
  slapadd -f "$D/slapd.conf" -l "$D/seed.ldif" >"$D/slapadd.log" 2>&1 || fail "slapadd failed" "$D/slapadd.log"

  LOG="$D/slapd.log"
  local url="ldap://127.0.0.1:$PORT" surl="ldaps://127.0.0.1:$ldaps_port"
  # "-d none": foreground, errors only (-d 0 prints nothing, not even a failed bind).
  launch "$LOG" slapd -d none -f "$D/slapd.conf" -h "$url/ $surl/"
  wait_ready "an admin bind on $url" "$LOG" ldapwhoami -x -H "$url" -D "$admin_dn" -w "$admin_pw"
  export LDAPTLS_CACERT="$D/ca.crt" LDAPTLS_REQCERT=demand
  wait_ready "an admin bind on $surl" "$LOG" ldapwhoami -x -H "$surl" -D "$admin_dn" -w "$admin_pw"

  # The directory's history: one account removed, one password rotated.
  ldapdelete -x -H "$url" -D "$admin_dn" -w "$admin_pw" "$dead_dn" >"$D/check.out" 2>&1 ||
    fail "ldapdelete $dead_dn failed" "$D/check.out" "$LOG"
  ldappasswd -x -H "$url" -D "$admin_dn" -w "$admin_pw" -s "$new_pw" "$changed_dn" >"$D/check.out" 2>&1 ||
    fail "ldappasswd $changed_dn failed" "$D/check.out" "$LOG"

  check "live bind" 0 ldapwhoami -x -H "$url" -D "$live_dn" -w "$live_pw"
  check "live bind over LDAPS" 0 ldapwhoami -x -H "$surl" -D "$live_dn" -w "$live_pw"
  check "removed DN refused" 49 ldapwhoami -x -H "$url" -D "$dead_dn" -w "$dead_pw"
  check "old password refused" 49 ldapwhoami -x -H "$url" -D "$changed_dn" -w "$old_pw"
  check "new password accepted" 0 ldapwhoami -x -H "$url" -D "$changed_dn" -w "$new_pw"

  write_env \
    "LDAP_PORT=$PORT" "LDAP_PID=$PID" "LDAP_URL=$url" "LDAPS_PORT=$ldaps_port" "LDAPS_URL=$surl" \
    "LDAP_CA=$D/ca.crt" "LDAP_BASE_DN=$base" "LDAP_LOG=$LOG" \
    "LDAP_ADMIN_DN=$admin_dn" "LDAP_ADMIN_PASSWORD=$admin_pw" \
    "LDAP_LIVE_DN=$live_dn" "LDAP_LIVE_PASSWORD=$live_pw" \
    "LDAP_DEAD_DN=$dead_dn" "LDAP_DEAD_PASSWORD=$dead_pw" \
    "LDAP_CHANGED_DN=$changed_dn" "LDAP_OLD_PASSWORD=$old_pw" "LDAP_CHANGED_PASSWORD=$new_pw"
}

# ---------------------------------------------------------------------------------------------
# dovecot

start_dovecot() {
  need dovecot dovecot-imapd
  [ -x /usr/lib/dovecot/submission-login ] ||
    die "dovecot: its SMTP submission service is missing: install the dovecot-submissiond package (scripts/install-deps.sh)"
  need curl curl
  need openssl openssl
  getent passwd dovecot >/dev/null && getent passwd dovenull >/dev/null ||
    die "dovecot: the dovecot/dovenull system users are missing (reinstall dovecot-core, dovecot-imapd)"
  [ "$(id -u)" = 0 ] || die "dovecot: must run as root (it switches to its own users)"
  ensure_test_user
  chmod 755 "$D"
  ensure_traversable dovecot
  local uid gid
  uid=$(id -u "$TEST_USER"); gid=$(id -g "$TEST_USER")

  # SMTP submission (AUTH, RFC 4954) beside IMAP, on its own port, for the same users.
  local smtp_port
  if [ -n "$PORT_ARG" ]; then smtp_port=$((PORT + 1)); else smtp_port=$(free_port); fi
  [ "$smtp_port" != "$PORT" ] || smtp_port=$(free_port)
  local live_user="imap-live-$(rand_hex 3)" dead_user="imap-removed-$(rand_hex 3)" rot_user="imap-rotated-$(rand_hex 3)"
  local live_pw dead_pw old_pw new_pw
  live_pw=$(rand_hex); dead_pw=$(rand_hex); old_pw=$(rand_hex); new_pw=$(rand_hex)
  mkdir -p "$D/run" "$D/state" "$D/mail"
  chown "$uid:$gid" "$D/mail"
  chmod 700 "$D/mail"

  passwd_line() { printf '%s:{SHA512-CRYPT}%s\n' "$1" "$(printf '%s' "$2" | openssl passwd -6 -stdin)"; }
  write_passwd() { # atomically, readable by dovecot's auth process only
    local tmp="$D/passwd.tmp"
    (umask 027; cat >"$tmp")
    chgrp dovecot "$tmp"
    mv "$tmp" "$D/passwd"
  }
  { passwd_line "$live_user" "$live_pw"; passwd_line "$dead_user" "$dead_pw"; passwd_line "$rot_user" "$old_pw"; } | write_passwd

  cat >"$D/dovecot.conf" <<EOF
# generated by scripts/servers.sh
instance_name = revenant-$(rand_hex 4)
base_dir = $D/run
state_dir = $D/state
log_path = $D/dovecot.log
protocols = imap submission
listen = 127.0.0.1
hostname = revenant-test.localhost
# Submission relays accepted mail to this host: nothing listens there, and no test sends mail
# (a login is checked, then the connection is closed).
submission_relay_host = 127.0.0.1
submission_relay_port = 9
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
auth_cache_size = 0
auth_verbose = yes
# Loopback clients are trusted: no anvil auth penalty (growing delays after failed logins).
login_trusted_networks = 127.0.0.1/32
first_valid_uid = $uid
last_valid_uid = $uid
mail_location = maildir:$D/mail/%u
passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT $D/passwd
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$D/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service imap {
  process_limit = 256
}
service submission-login {
  inet_listener submission {
    address = 127.0.0.1
    port = $smtp_port
  }
  inet_listener submissions {
    port = 0
  }
}
# No anvil auth penalty (delays growing to 15 s after failed logins from one IP): a test sends
# dead credentials on purpose.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
EOF
  dovecot -n -c "$D/dovecot.conf" >"$D/check.out" 2>&1 || fail "dovecot rejects the generated config" "$D/check.out"

  LOG="$D/dovecot.log"
  : >"$LOG"
  launch "$D/dovecot.out" dovecot -F -c "$D/dovecot.conf"
  local url="imap://127.0.0.1:$PORT/"
  wait_ready "a live IMAP login" "$LOG" curl --noproxy '*' -sf --max-time 5 "$url" -u "$live_user:$live_pw"

  check "user to be removed logs in" 0 curl --noproxy '*' -s --max-time 5 "$url" -u "$dead_user:$dead_pw"

  # The user database's history: one user removed, one password rotated. SIGHUP makes dovecot
  # restart its auth process, which reads the new passwd-file.
  { passwd_line "$live_user" "$live_pw"; passwd_line "$rot_user" "$new_pw"; } | write_passwd
  kill -HUP "$PID"
  refused() { local rc=0; curl --noproxy '*' -s --max-time 5 "$url" -u "$1" || rc=$?; [ "$rc" = 67 ]; }
  wait_ready "the removed user to be refused after reload" "$LOG" refused "$dead_user:$dead_pw"
  wait_ready "a live login after reload" "$LOG" curl --noproxy '*' -sf --max-time 5 "$url" -u "$live_user:$live_pw"

  check "live login" 0 curl --noproxy '*' -s --max-time 5 "$url" -u "$live_user:$live_pw"
  check "removed user refused" 67 curl --noproxy '*' -s --max-time 5 "$url" -u "$dead_user:$dead_pw"
  check "old password refused" 67 curl --noproxy '*' -s --max-time 5 "$url" -u "$rot_user:$old_pw"
  check "new password accepted" 0 curl --noproxy '*' -s --max-time 5 "$url" -u "$rot_user:$new_pw"
  # SMTP AUTH: curl logs in, then sends HELP, which the submission service answers by connecting to
  # its (absent) relay: 421, curl 8 — after a good login. A refused login is curl 67.
  local smtp_url="smtp://127.0.0.1:$smtp_port"
  check "SMTP AUTH: live login, then the relay is absent" 8 curl --noproxy '*' -s --max-time 5 "$smtp_url" -u "$live_user:$live_pw"
  check "SMTP AUTH: removed user refused" 67 curl --noproxy '*' -s --max-time 5 "$smtp_url" -u "$dead_user:$dead_pw"

  write_env \
    "IMAP_PORT=$PORT" "IMAP_PID=$PID" "IMAP_URL=$url" "IMAP_LOG=$LOG" \
    "IMAP_LIVE_USER=$live_user" "IMAP_LIVE_PASSWORD=$live_pw" \
    "IMAP_DEAD_USER=$dead_user" "IMAP_DEAD_PASSWORD=$dead_pw" \
    "IMAP_ROTATED_USER=$rot_user" "IMAP_OLD_PASSWORD=$old_pw" "IMAP_ROTATED_PASSWORD=$new_pw" \
    "SMTP_PORT=$smtp_port" "SMTP_URL=$smtp_url"
}

# ---------------------------------------------------------------------------------------------
# postgres

start_postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$bin" ] && [ -x "$bin/postgres" ] && [ -x "$bin/initdb" ] ||
    die "postgres: no /usr/lib/postgresql/*/bin/postgres: install the postgresql package (scripts/install-deps.sh)"
  need psql postgresql-client
  getent passwd postgres >/dev/null || die "postgres: the postgres system user is missing (reinstall postgresql-common)"
  [ "$(id -u)" = 0 ] || die "postgres: must run as root (it runs the server as the postgres user)"
  local as_pg=(setpriv --reuid=postgres --regid="$(id -g postgres)" --init-groups)

  chown postgres:postgres "$D"
  chmod 700 "$D"
  ensure_traversable postgres
  mkdir -p "$D/data" "$D/sock"
  chown postgres:postgres "$D/data" "$D/sock"
  chmod 700 "$D/data" "$D/sock"

  local db=revenant live_user="svc_live_$(rand_hex 3)" dead_user="svc_dropped_$(rand_hex 3)"
  local rot_user="svc_rotated_$(rand_hex 3)" live_pw dead_pw old_pw new_pw
  live_pw=$(rand_hex); dead_pw=$(rand_hex); old_pw=$(rand_hex); new_pw=$(rand_hex)

  "${as_pg[@]}" "$bin/initdb" -D "$D/data" -U postgres -E UTF8 --locale=C --no-sync --no-instructions \
    --auth-local=trust --auth-host=scram-sha-256 >"$D/initdb.log" 2>&1 || fail "initdb failed" "$D/initdb.log"
  # The superuser only over the unix socket (its directory is postgres-only); everyone else by
  # password over TCP on 127.0.0.1.
  cat >"$D/data/pg_hba.conf" <<EOF
# generated by scripts/servers.sh
local all postgres trust
host  all all 127.0.0.1/32 scram-sha-256
EOF

  # TLS, so probes can check the server (postgresql.sslmode verify-full against $D/ca.crt).
  make_server_certificate postgres "PostgreSQL"
  chown postgres "$D/server.key" "$D/server.crt"; chmod 600 "$D/server.key"

  LOG="$D/postgres.log"
  : >"$LOG"; chown postgres "$LOG"
  launch "$LOG" "${as_pg[@]}" "$bin/postgres" -D "$D/data" -p "$PORT" -k "$D/sock" \
    -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
    -c ssl=on -c ssl_cert_file="$D/server.crt" -c ssl_key_file="$D/server.key" \
    -c password_encryption=scram-sha-256 -c max_connections=200 \
    -c log_line_prefix='%m [%p] %e '
  local super=(psql -X -q -h "$D/sock" -p "$PORT" -U postgres -v ON_ERROR_STOP=1)
  wait_ready "the server to accept connections" "$LOG" "${super[@]}" -d postgres -c 'select 1'

  "${super[@]}" -d postgres >"$D/check.out" 2>&1 <<EOF || fail "creating the roles failed" "$D/check.out" "$LOG"
CREATE DATABASE $db;
CREATE ROLE $live_user LOGIN PASSWORD '$live_pw';
CREATE ROLE $dead_user LOGIN PASSWORD '$dead_pw';
DROP ROLE $dead_user;
CREATE ROLE $rot_user LOGIN PASSWORD '$old_pw';
ALTER ROLE $rot_user PASSWORD '$new_pw';
EOF

  local q=(psql -X -q -w -h 127.0.0.1 -p "$PORT" -d "$db" -c 'select 1')
  check "live role" 0 env PGPASSWORD="$live_pw" "${q[@]}" -U "$live_user"
  check "dropped role refused" 2 env PGPASSWORD="$dead_pw" "${q[@]}" -U "$dead_user"
  grep -q 'password authentication failed' "$D/check.out" || fail "dropped role: unexpected error" "$D/check.out"
  check "old password refused" 2 env PGPASSWORD="$old_pw" "${q[@]}" -U "$rot_user"
  check "new password accepted" 0 env PGPASSWORD="$new_pw" "${q[@]}" -U "$rot_user"

  write_env \
    "PG_PORT=$PORT" "PG_PID=$PID" "PG_HOST=127.0.0.1" "PG_DATABASE=$db" "PG_LOG=$LOG" "PG_CA=$D/ca.crt" \
    "PG_LIVE_USER=$live_user" "PG_LIVE_PASSWORD=$live_pw" \
    "PG_DEAD_USER=$dead_user" "PG_DEAD_PASSWORD=$dead_pw" \
    "PG_ROTATED_USER=$rot_user" "PG_OLD_PASSWORD=$old_pw" "PG_ROTATED_PASSWORD=$new_pw"
}

# ---------------------------------------------------------------------------------------------
# moto (AWS)

start_moto() {
  need python3 python3
  need curl curl
  need_py moto.server 'moto[server]'
  need_py flask_cors 'moto[server]'
  need_py boto3 'moto[server]'
  LOG="$D/moto.log"
  local url="http://127.0.0.1:$PORT"
  launch "$LOG" python3 -m moto.server -H 127.0.0.1 -p "$PORT"
  wait_ready "$url/moto-api/" "$LOG" curl --noproxy '*' -sf --max-time 2 -o /dev/null "$url/moto-api/"

  # IAM users and keys while authentication is still off; the dead key is deleted after creation.
  MOTO_URL="$url" python3 - >"$D/keys.env" 2>"$D/check.out" <<'EOF' || fail "creating IAM users and keys failed" "$D/check.out" "$LOG"
import os, boto3
iam = boto3.client("iam", endpoint_url=os.environ["MOTO_URL"], region_name="us-east-1",
                   aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
iam.create_user(UserName="svc-live")
live = iam.create_access_key(UserName="svc-live")["AccessKey"]
arn = iam.get_user(UserName="svc-live")["User"]["Arn"]
iam.create_user(UserName="svc-offboarded")
dead = iam.create_access_key(UserName="svc-offboarded")["AccessKey"]
iam.delete_access_key(UserName="svc-offboarded", AccessKeyId=dead["AccessKeyId"])
print("AWS_LIVE_KEY_ID=" + live["AccessKeyId"])
print("AWS_LIVE_SECRET=" + live["SecretAccessKey"])
print("AWS_LIVE_ARN=" + arn)
print("AWS_LIVE_ACCOUNT=" + arn.split(":")[4])
print("AWS_DEAD_KEY_ID=" + dead["AccessKeyId"])
print("AWS_DEAD_SECRET=" + dead["SecretAccessKey"])
EOF
  chmod 600 "$D/keys.env"
  # Authentication on from now (the body must be sent as-is: -d would drop it).
  curl --noproxy '*' -sf --max-time 5 -X POST -H 'Content-Type: text/plain' --data-binary 0 \
    "$url/moto-api/reset-auth" >"$D/check.out" 2>&1 || fail "switching authentication on failed" "$D/check.out" "$LOG"

  local k
  declare -A aws
  while IFS='=' read -r k v; do aws[$k]=$v; done <"$D/keys.env"
  local sts=(curl --noproxy '*' -s --max-time 5 -o "$D/sts.out" -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:sts"
             -d "Action=GetCallerIdentity&Version=2011-06-15" "$url/")
  local code
  code=$("${sts[@]}" --user "${aws[AWS_LIVE_KEY_ID]}:${aws[AWS_LIVE_SECRET]}" || true)
  [ "$code" = 200 ] || fail "self-check failed: live key got HTTP $code" "$D/sts.out" "$LOG"
  code=$("${sts[@]}" --user "${aws[AWS_DEAD_KEY_ID]}:${aws[AWS_DEAD_SECRET]}" || true)
  [ "$code" = 403 ] && grep -q InvalidClientTokenId "$D/sts.out" ||
    fail "self-check failed: deleted key got HTTP $code, expected 403 InvalidClientTokenId" "$D/sts.out" "$LOG"

  write_env "AWS_PORT=$PORT" "AWS_PID=$PID" "AWS_ENDPOINT=$url" "AWS_REGION=us-east-1" "AWS_LOG=$LOG" \
    "$(cat "$D/keys.env")"
  rm -f "$D/keys.env"
}

# ---------------------------------------------------------------------------------------------
# scim

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

# ---------------------------------------------------------------------------------------------
# introspection (OAuth 2.0, RFC 7662)

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

# ---------------------------------------------------------------------------------------------

[ $# -ge 2 ] || usage
cmd=$1
case $cmd in
  start)
    [ $# -ge 3 ] || usage
    NAME=$2; dir=$3; shift 3 ;;
  stop)
    NAME=""; dir=$2; shift 2 ;;
  *) usage ;;
esac
PORT_ARG=""
while [ $# -gt 0 ]; do
  case $1 in
    --port) [ $# -ge 2 ] || usage; PORT_ARG=$2; shift 2 ;;
    --port=*) PORT_ARG=${1#*=}; shift ;;
    *) usage ;;
  esac
done
[[ "$dir" != *[[:space:]]* ]] || die "DIR must not contain whitespace: '$dir'"

if [ "$cmd" = stop ]; then
  [ -d "$dir" ] || exit 0
  DIR=$(cd "$dir" && pwd)
  stop_servers "$DIR"
  exit 0
fi

[[ " $NAMES " == *" $NAME "* ]] || die "unknown server '$NAME' (one of: $NAMES)"
command -v python3 >/dev/null || die "python3 not found"
command -v openssl >/dev/null || die "openssl not found (install the openssl package)"
command -v setsid >/dev/null || die "setsid not found (util-linux)"
mkdir -p "$dir"
DIR=$(cd "$dir" && pwd)
if [ -n "$PORT_ARG" ]; then
  [[ "$PORT_ARG" =~ ^[0-9]+$ ]] && [ "$PORT_ARG" -ge 1024 ] && [ "$PORT_ARG" -le 65534 ] ||
    die "--port must be an integer in 1024..65534"
  PORT=$PORT_ARG
else
  PORT=$(free_port)
fi

# Fresh state for NAME (other servers under DIR are left alone).
stop_servers "$DIR" "$NAME"
D="$DIR/$NAME"
rm -rf "$D"
mkdir -p "$D"
chmod 700 "$D"
LOG="$D/$NAME.log"
"start_$NAME"

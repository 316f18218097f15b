#!/usr/bin/env bash
# redis (Debian redis-server 7): ACL users over TCP on 127.0.0.1, and TLS (a test CA) on a second port.
# Users: live, deleted (ACL DELUSER), rotated, disabled (`off`, its password still set); the
# default user is off and an admin user set them up.
# Sourced by scripts/servers.sh after lib.sh (which lists the variables start_redis relies on).
# Run on its own: scripts/servers/redis.sh DIR [--port P] = scripts/servers.sh start redis DIR [--port P].
[ "${BASH_SOURCE[0]}" != "$0" ] || exec "$(dirname "$0")/../servers.sh" start redis "$@"

start_redis() {
  need redis-server redis-server
  need redis-cli redis-tools
  local tls_port admin_pw
  tls_port=$(second_port)
  admin_pw=$(rand_hex)
  make_server_certificate redis "Redis"
  chmod 600 "$D/server.key"

  # Only the admin user exists at start; the others are made with ACL SETUSER below, as an
  # operator would. The file holds a password: mode 600 in a 700 directory.
  (umask 077; cat >"$D/redis.conf" <<EOF
bind 127.0.0.1
port $PORT
tls-port $tls_port
tls-cert-file $D/server.crt
tls-key-file $D/server.key
tls-ca-cert-file $D/ca.crt
tls-auth-clients no
dir $D
save ""
appendonly no
daemonize no
logfile $D/redis.log
user default off
user admin on >$admin_pw ~* &* +@all
EOF
)
  LOG="$D/redis.log"
  launch "$D/redis.stdout" redis-server "$D/redis.conf"
  local admin=(redis-cli --no-auth-warning -h 127.0.0.1 -p "$PORT" --user admin --pass "$admin_pw")
  wait_ready "the server to accept connections" "$LOG" sh -c "$(printf '%q ' "${admin[@]}") ping | grep -q PONG"

  local live_user="svc_live_$(rand_hex 3)" dead_user="svc_deleted_$(rand_hex 3)" rot_user="svc_rotated_$(rand_hex 3)"
  local off_user="svc_disabled_$(rand_hex 3)" live_pw dead_pw old_pw new_pw off_pw
  live_pw=$(rand_hex); dead_pw=$(rand_hex); old_pw=$(rand_hex); new_pw=$(rand_hex); off_pw=$(rand_hex)
  {
    "${admin[@]}" ACL SETUSER "$live_user" on ">$live_pw" '~*' '+@read'
    "${admin[@]}" ACL SETUSER "$dead_user" on ">$dead_pw" '~*' '+@read'
    "${admin[@]}" ACL DELUSER "$dead_user"
    "${admin[@]}" ACL SETUSER "$rot_user" on ">$old_pw" '~*' '+@read'
    "${admin[@]}" ACL SETUSER "$rot_user" resetpass ">$new_pw"
    "${admin[@]}" ACL SETUSER "$off_user" off ">$off_pw" '~*' '+@read'
  } >"$D/check.out" 2>&1 || fail "creating the ACL users failed" "$D/check.out" "$LOG"
  grep -qv '^OK$\|^1$' "$D/check.out" && fail "creating the ACL users failed" "$D/check.out" "$LOG"

  local q=(redis-cli --no-auth-warning -h 127.0.0.1 -p "$PORT")
  auth() { "${q[@]}" AUTH "$1" "$2" | grep -qx OK; }
  check "live user" 0 auth "$live_user" "$live_pw"
  check "deleted user refused" 1 auth "$dead_user" "$dead_pw"
  check "old password refused" 1 auth "$rot_user" "$old_pw"
  check "new password accepted" 0 auth "$rot_user" "$new_pw"
  check "disabled user refused" 1 auth "$off_user" "$off_pw"
  local tq=(redis-cli --no-auth-warning -h 127.0.0.1 -p "$tls_port" --tls --cacert "$D/ca.crt")
  tls_auth() { "${tq[@]}" AUTH "$1" "$2" | grep -qx OK; }
  check "live user over verified TLS" 0 tls_auth "$live_user" "$live_pw"

  write_env \
    "REDIS_PORT=$PORT" "REDIS_TLS_PORT=$tls_port" "REDIS_PID=$PID" "REDIS_HOST=127.0.0.1" "REDIS_LOG=$LOG" "REDIS_CA=$D/ca.crt" "REDIS_ADMIN_PASSWORD=$admin_pw" \
    "REDIS_LIVE_USER=$live_user" "REDIS_LIVE_PASSWORD=$live_pw" \
    "REDIS_DEAD_USER=$dead_user" "REDIS_DEAD_PASSWORD=$dead_pw" \
    "REDIS_ROTATED_USER=$rot_user" "REDIS_OLD_PASSWORD=$old_pw" "REDIS_ROTATED_PASSWORD=$new_pw" \
    "REDIS_DISABLED_USER=$off_user" "REDIS_DISABLED_PASSWORD=$off_pw"
}

#!/usr/bin/env bash
# mariadb (Debian mariadb-server): password logins over TCP on 127.0.0.1, with TLS from a test CA;
# a second instance on another port offers no TLS (for "TLS required but not offered").
# Accounts: live, dropped, rotated, locked, expired (server disconnects expired passwords),
# and one allowed only from another host.
# Sourced by scripts/servers.sh after lib.sh (which lists the variables start_mariadb relies on).
# Run on its own: scripts/servers/mariadb.sh DIR [--port P] = scripts/servers.sh start mariadb DIR [--port P].
[ "${BASH_SOURCE[0]}" != "$0" ] || exec "$(dirname "$0")/../servers.sh" start mariadb "$@"

start_mariadb() {
  need mariadbd mariadb-server
  need mariadb-install-db mariadb-server
  need mariadb mariadb-client
  [ "$(id -u)" = 0 ] || die "mariadb: must run as root (the server runs as root with --user=root)"
  local plain_port
  plain_port=$(second_port)

  mariadb-install-db --no-defaults --datadir="$D/data" --user=root --auth-root-authentication-method=socket \
    --skip-test-db >"$D/install.log" 2>&1 || fail "mariadb-install-db failed" "$D/install.log"
  # The no-TLS instance starts from a copy of the same empty database.
  cp -a "$D/data" "$D/plain-data"
  make_server_certificate mariadb "MariaDB"

  local common=(--no-defaults --user=root --skip-networking=0 --bind-address=127.0.0.1 --skip-name-resolve
                --innodb-buffer-pool-size=8M --skip-log-bin --disconnect-on-expired-password=ON
                --max-connections=200 --log-warnings=4)
  LOG="$D/mariadb.log"
  launch "$LOG" mariadbd "${common[@]}" --datadir="$D/data" --port="$PORT" --socket="$D/mysqld.sock" \
    --pid-file="$D/mysqld.pid" --log-error="$LOG" \
    --ssl-cert="$D/server.crt" --ssl-key="$D/server.key" --ssl-ca="$D/ca.crt"
  local tls_pid=$PID
  local admin=(mariadb --no-defaults --protocol=socket --socket="$D/mysqld.sock" -u root)
  wait_ready "the server to accept connections" "$LOG" "${admin[@]}" -e 'select 1'

  local plain_log="$D/mariadb-plain.log"
  launch "$plain_log" mariadbd "${common[@]}" --datadir="$D/plain-data" --port="$plain_port" \
    --socket="$D/plain.sock" --pid-file="$D/plain.pid" --log-error="$plain_log"
  local plain_admin=(mariadb --no-defaults --protocol=socket --socket="$D/plain.sock" -u root)
  wait_ready "the no-TLS server to accept connections" "$plain_log" "${plain_admin[@]}" -e 'select 1'
  PID=$tls_pid

  local live_user="svc_live_$(rand_hex 3)" dead_user="svc_dropped_$(rand_hex 3)" rot_user="svc_rotated_$(rand_hex 3)"
  local locked_user="svc_locked_$(rand_hex 3)" expired_user="svc_expired_$(rand_hex 3)" elsewhere_user="svc_elsewhere_$(rand_hex 3)"
  local live_pw dead_pw old_pw new_pw locked_pw expired_pw elsewhere_pw root_pw
  live_pw=$(rand_hex); dead_pw=$(rand_hex); old_pw=$(rand_hex); new_pw=$(rand_hex); root_pw=$(rand_hex)
  locked_pw=$(rand_hex); expired_pw=$(rand_hex); elsewhere_pw=$(rand_hex)
  cat >"$D/accounts.sql" <<EOF
CREATE USER '$live_user'@'%' IDENTIFIED BY '$live_pw';
CREATE USER '$dead_user'@'%' IDENTIFIED BY '$dead_pw';
DROP USER '$dead_user'@'%';
CREATE USER '$rot_user'@'%' IDENTIFIED BY '$old_pw';
ALTER USER '$rot_user'@'%' IDENTIFIED BY '$new_pw';
CREATE USER '$locked_user'@'%' IDENTIFIED BY '$locked_pw' ACCOUNT LOCK;
CREATE USER '$expired_user'@'%' IDENTIFIED BY '$expired_pw' PASSWORD EXPIRE;
CREATE USER '$elsewhere_user'@'10.255.255.1' IDENTIFIED BY '$elsewhere_pw';
-- For a user name it does not know, MariaDB fails the login as an existing account chosen by a
-- hash of the name would; root's unix_socket login then answers 1698 instead of 1045 (for about a
-- third of random names here). With every account on passwords, an unknown user always gets 1045.
ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD('$root_pw');
EOF
  "${admin[@]}" <"$D/accounts.sql" >"$D/check.out" 2>&1 || fail "creating the accounts failed" "$D/check.out" "$LOG"
  "${plain_admin[@]}" <"$D/accounts.sql" >"$D/check.out" 2>&1 || fail "creating the accounts (no TLS) failed" "$D/check.out" "$plain_log"

  local q=(mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P "$PORT" --connect-timeout=30 -e 'select 1')
  check "live account over verified TLS" 0 "${q[@]}" --ssl --ssl-ca="$D/ca.crt" --ssl-verify-server-cert -u "$live_user" -p"$live_pw"
  check "dropped account refused" 1 "${q[@]}" -u "$dead_user" -p"$dead_pw"
  grep -q 'ERROR 1045' "$D/check.out" || fail "dropped account: unexpected error" "$D/check.out"
  check "old password refused" 1 "${q[@]}" -u "$rot_user" -p"$old_pw"
  check "new password accepted" 0 "${q[@]}" -u "$rot_user" -p"$new_pw"
  check "no-TLS instance: live account" 0 mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P "$plain_port" -e 'select 1' \
    -u "$live_user" -p"$live_pw"

  write_env \
    "MARIADB_PORT=$PORT" "MARIADB_PID=$PID" "MARIADB_HOST=127.0.0.1" "MARIADB_LOG=$LOG" "MARIADB_CA=$D/ca.crt" \
    "MARIADB_PLAIN_PORT=$plain_port" "MARIADB_PLAIN_LOG=$plain_log" "MARIADB_SOCKET=$D/mysqld.sock" "MARIADB_PLAIN_SOCKET=$D/plain.sock" \
    "MARIADB_ROOT_PASSWORD=$root_pw" \
    "MARIADB_LIVE_USER=$live_user" "MARIADB_LIVE_PASSWORD=$live_pw" \
    "MARIADB_DEAD_USER=$dead_user" "MARIADB_DEAD_PASSWORD=$dead_pw" \
    "MARIADB_ROTATED_USER=$rot_user" "MARIADB_OLD_PASSWORD=$old_pw" "MARIADB_ROTATED_PASSWORD=$new_pw" \
    "MARIADB_LOCKED_USER=$locked_user" "MARIADB_LOCKED_PASSWORD=$locked_pw" \
    "MARIADB_EXPIRED_USER=$expired_user" "MARIADB_EXPIRED_PASSWORD=$expired_pw" \
    "MARIADB_ELSEWHERE_USER=$elsewhere_user" "MARIADB_ELSEWHERE_PASSWORD=$elsewhere_pw"
}

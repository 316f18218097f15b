# shellcheck shell=bash
# The shared part of scripts/servers.sh, sourced by it (and by nothing else): processes and their
# pid file, free ports, readiness, failure and retry, the env file, the test user, a test CA.
#
# The dispatcher sets, before a server's start_NAME runs:
#   SCRIPTS   absolute path of scripts/          SELF      scripts/servers.sh (a failed start re-runs it)
#   NAME      the server being started           DIR       absolute path of the DIR argument
#   D         DIR/NAME, fresh, mode 700          LOG       the server's log (start_NAME sets its own)
#   PORT      the port to listen on              PORT_ARG  the --port value, empty when none
# launch sets PID. `stop` needs only DIR.

TEST_USER=revenant-test
READY_TIMEOUT=${REVENANT_SERVERS_TIMEOUT:-30}

die() { echo "servers.sh: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# Processes: DIR/servers.pids holds "NAME PID STARTTIME" lines, one a server started under DIR.

# alive PID: true if PID exists and is not a zombie.
# shellcheck source=../process.sh
. "$(dirname "${BASH_SOURCE[0]}")/../process.sh"

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

# A server's second port: PORT+1 under --port, else another free one (never PORT itself).
second_port() {
  local port
  if [ -n "$PORT_ARG" ]; then port=$((PORT + 1)); else port=$(free_port); fi
  [ "$port" != "$PORT" ] || port=$(free_port)
  echo "$port"
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

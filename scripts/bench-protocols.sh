#!/usr/bin/env bash
# SSH and PostgreSQL logins per second: `revenant verify` over N credentials against the sshd and
# PostgreSQL of scripts/servers.sh, and, in the same run against the same servers, the native
# clients in a shell loop (one process and one connection per login), one at a time and P at once.
#
#   scripts/bench-protocols.sh [N]      N credentials per protocol (default 200)
#
# Env: REVENANT (default .build/release/revenant, else .build/debug/revenant), BENCH_PARALLEL
# (P, default 16: revenant's per-host max_in_flight and the clients' xargs -P).
# revenant's rate counts every login attempt in its ledger (the negative controls included).
# The ssh client also opens a session and runs `true` (the server's ForceCommand); revenant stops
# after authentication. psql runs `select 1`; revenant closes the connection without a query.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${1:-200}
P=${BENCH_PARALLEL:-16}
BIN=${REVENANT:-}
if [ -z "$BIN" ]; then
  BIN="$ROOT/.build/release/revenant"
  [ -x "$BIN" ] || BIN="$ROOT/.build/debug/revenant"
fi
[ -x "$BIN" ] || { echo "no revenant binary: run swift build -c release (or set REVENANT)" >&2; exit 2; }

DIR=$(mktemp -d /tmp/revenant-bench-protocols.XXXXXX)
chmod 755 "$DIR"
cleanup() { "$ROOT/scripts/servers.sh" stop "$DIR" >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT
"$ROOT/scripts/servers.sh" start sshd "$DIR" >"$DIR/start.log" 2>&1 || { cat "$DIR/start.log"; exit 1; }
"$ROOT/scripts/servers.sh" start postgres "$DIR" >>"$DIR/start.log" 2>&1 || { cat "$DIR/start.log"; exit 1; }
set -a; . "$DIR/sshd.env"; . "$DIR/postgres.env"; set +a

now() { echo "${EPOCHREALTIME/./}"; }
# report LABEL COUNT START-US END-US
report() { awk -v l="$1" -v n="$2" -v us="$(($4 - $3))" 'BEGIN { printf "%-34s %7.1f logins/s (%d in %.2f s)\n", l, n / (us / 1e6), n, us / 1e6 }'; }

# The inventory, probes and configuration of one revenant run, in $DIR/$1.
write_run() {
  local name=$1
  mkdir -p "$DIR/$name/probes"
  cat >"$DIR/$name/probes/b-ssh.json" <<EOF
{"id": "b-ssh", "title": "bench ssh", "kinds": ["ssh_key"], "protocol": "ssh", "allowed_hosts": ["127.0.0.1"], "docs": "https://example.test/bench"}
EOF
  cat >"$DIR/$name/probes/b-pg.json" <<EOF
{"id": "b-pg", "title": "bench postgresql", "kinds": ["password"], "protocol": "postgresql", "allowed_hosts": ["127.0.0.1"], "docs": "https://example.test/bench"}
EOF
  cat >"$DIR/$name/config.json" <<EOF
{"concurrency": $P, "per_host": {"max_in_flight": $P, "requests_per_second": 100000}, "timeout_seconds": 10, "retries": {"attempts": 1}}
EOF
}

# SSH: N credentials cycling through the six keys (live ones are offboarded, dead ones revoked).
write_run ssh
python3 - "$N" "$DIR/ssh/inventory.json" <<'EOF'
import json, os, sys
n, out = int(sys.argv[1]), sys.argv[2]
e = os.environ
keys = [(s, t) for t in ("ED25519", "ECDSA", "RSA") for s in ("LIVE", "DEAD")]
creds = []
for i in range(n):
    s, t = keys[i % len(keys)]
    creds.append({"id": f"ssh-{i}", "kind": "ssh_key", "state": "offboarded" if s == "LIVE" else "revoked",
                  "owner": "bench", "secret": {"file": e[f"SSH_{s}_{t}"]}, "username": e["SSHD_USER"], "probe": "b-ssh",
                  "target": f"ssh://127.0.0.1:{e['SSHD_PORT']}", "host_key_sha256": e["SSHD_HOST_KEY_SHA256"]})
json.dump({"credentials": creds}, open(out, "w"))
EOF

# PostgreSQL: N credentials cycling through live, dropped and rotated-away passwords.
write_run pg
python3 - "$N" "$DIR/pg/inventory.json" <<'EOF'
import json, os, sys
n, out = int(sys.argv[1]), sys.argv[2]
e = os.environ
roles = [("PG_LIVE_USER", "PG_LIVE_PASSWORD", "offboarded"), ("PG_DEAD_USER", "PG_DEAD_PASSWORD", "revoked"),
         ("PG_ROTATED_USER", "PG_OLD_PASSWORD", "rotated")]
creds = []
for i in range(n):
    user, password, state = roles[i % len(roles)]
    creds.append({"id": f"pg-{i}", "kind": "password", "state": state, "owner": "bench", "secret": {"env": password},
                  "username": e[user], "probe": "b-pg",
                  "target": f"postgresql://127.0.0.1:{e['PG_PORT']}/{e['PG_DATABASE']}"})
json.dump({"credentials": creds}, open(out, "w"))
EOF

# revenant_rate LABEL NAME: one verify over $DIR/NAME; every attempt must have been decided.
revenant_rate() {
  local label=$1 name=$2 start end attempts undecided
  start=$(now)
  "$BIN" verify --inventory "$DIR/$name/inventory.json" --probes "$DIR/$name/probes" --config "$DIR/$name/config.json" \
    --ledger "$DIR/$name/ledger.jsonl" --format json --fail-on never --no-progress >"$DIR/$name/report.json" 2>"$DIR/$name/stderr" ||
    { echo "$label: revenant failed"; cat "$DIR/$name/stderr"; return 0; }
  end=$(now)
  attempts=$(wc -l <"$DIR/$name/ledger.jsonl")
  undecided=$(grep -c -v '"outcome":"\(authenticated\|rejected\)"' "$DIR/$name/ledger.jsonl" || true)
  [ "$undecided" = 0 ] || echo "$label: $undecided attempts were not decided (see $DIR/$name/ledger.jsonl)"
  report "$label" "$attempts" "$start" "$end"
}

# ssh_login KEY-NAME: one login with the OpenSSH client, the way servers/README.md shows.
ssh_login() {
  local key=SSH_$1
  ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o UserKnownHostsFile="$SSHD_KNOWN_HOSTS" \
    -p "$SSHD_PORT" -i "${!key}" "$SSHD_USER@127.0.0.1" true >/dev/null 2>&1 || true
}
# pg_login INDEX: one login with psql, cycling the three roles like the inventory.
pg_login() {
  case $(($1 % 3)) in
    0) PGPASSWORD=$PG_LIVE_PASSWORD psql -X -q -w -h 127.0.0.1 -p "$PG_PORT" -U "$PG_LIVE_USER" -d "$PG_DATABASE" -c 'select 1' ;;
    1) PGPASSWORD=$PG_DEAD_PASSWORD psql -X -q -w -h 127.0.0.1 -p "$PG_PORT" -U "$PG_DEAD_USER" -d "$PG_DATABASE" -c 'select 1' ;;
    2) PGPASSWORD=$PG_OLD_PASSWORD psql -X -q -w -h 127.0.0.1 -p "$PG_PORT" -U "$PG_ROTATED_USER" -d "$PG_DATABASE" -c 'select 1' ;;
  esac >/dev/null 2>&1 || true
}
export -f ssh_login pg_login
KEYS=(LIVE_ED25519 DEAD_ED25519 LIVE_ECDSA DEAD_ECDSA LIVE_RSA DEAD_RSA)

echo "revenant: $BIN; $N credentials per protocol; parallel $P; $(nproc) cores"
revenant_rate "revenant verify ssh" ssh
start=$(now); for i in $(seq 0 $((N - 1))); do ssh_login "${KEYS[i % 6]}"; done; end=$(now)
report "ssh client loop, 1 at a time" "$N" "$start" "$end"
start=$(now)
for i in $(seq 0 $((N - 1))); do echo "${KEYS[i % 6]}"; done | xargs -P "$P" -I{} bash -c 'ssh_login {}'
end=$(now)
report "ssh client loop, $P at a time" "$N" "$start" "$end"

revenant_rate "revenant verify postgresql" pg
start=$(now); for i in $(seq 0 $((N - 1))); do pg_login "$i"; done; end=$(now)
report "psql loop, 1 at a time" "$N" "$start" "$end"
start=$(now)
seq 0 $((N - 1)) | xargs -P "$P" -I{} bash -c 'pg_login {}'
end=$(now)
report "psql loop, $P at a time" "$N" "$start" "$end"

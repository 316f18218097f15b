#!/usr/bin/env bash
# Real servers for revenant's protocol-probe integration tests. Everything binds 127.0.0.1 only.
#
#   scripts/servers.sh start NAME DIR [--port P]
#   scripts/servers.sh stop DIR
#
# NAME: sshd slapd ppolicy dovecot postgres moto scim introspection tsa oauth2token mariadb redis kdc (see scripts/servers/README.md).
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
#
# This file only reads the command line: each server is scripts/servers/NAME.sh (its start_NAME),
# and what they share (pids, ports, readiness, failure, env files, stop) is scripts/servers/lib.sh.
set -euo pipefail

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$SCRIPTS/servers.sh"
NAMES="sshd slapd ppolicy dovecot postgres moto scim introspection tsa oauth2token mariadb redis kdc"

usage() { echo "usage: $0 start NAME DIR [--port P] | stop DIR   (NAME: ${NAMES// /, })" >&2; exit 2; }

# shellcheck source=servers/lib.sh
. "$SCRIPTS/servers/lib.sh"

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
# shellcheck source=/dev/null
. "$SCRIPTS/servers/$NAME.sh"
"start_$NAME"

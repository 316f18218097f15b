#!/usr/bin/env bash
# Install the Debian packages revenant needs to build, test, demo and bench.
# Idempotent: installs only what is missing; silent when everything is present.
set -euo pipefail

PACKAGES=(
  libcurl4-openssl-dev
  libssl-dev
  pkg-config
  ca-certificates
  openssl
  curl
  nginx-light
  wrk
  apache2-utils
  python3
  procps
  make
  # Libraries of the SSH and PostgreSQL probers (libssh signs RSA with rsa-sha2-*; see docs/protocols/ssh.md).
  libssh-dev
  # Real servers for the protocol probes' integration tests (scripts/servers.sh).
  openssh-server
  openssh-client
  slapd
  ldap-utils
  dovecot-imapd
  dovecot-submissiond
  postgresql
  libpq-dev
  # LDAP binds through OpenLDAP's library: it keeps the server's diagnostic message (docs/protocols/ldap.md).
  libldap-dev
  # The history store's embedded database (--history FILE; docs/history.md).
  libsqlite3-dev
  # Validators of the html and prometheus report formats (docs/html.md, docs/prometheus.md):
  # headless Chromium opens the HTML report; promtool checks the metrics and the alert rules.
  chromium
  prometheus
  # MySQL/MariaDB logins through MariaDB Connector/C, and the MariaDB and Redis test servers
  # (docs/protocols/mysql.md, docs/protocols/redis.md).
  libmariadb-dev
  mariadb-server
  mariadb-client
  redis-server
  redis-tools
  # Kerberos logins through MIT's libkrb5 (docs/protocols/kerberos.md), and the MIT KDC, its admin
  # tools and kinit for their integration tests (scripts/servers/kdc.sh).
  libkrb5-dev
  krb5-kdc
  krb5-admin-server
  krb5-user
)

die() { echo "install-deps: $*" >&2; exit 1; }

installed() {
  local status
  status=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)
  [ "$status" = "installed" ]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  if installed "$pkg"; then continue; fi
  # Any nginx flavour will do (nginx-light conflicts with an installed nginx-full/-extras).
  if [ "$pkg" = nginx-light ] && command -v nginx >/dev/null 2>&1; then continue; fi
  missing+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to install: ${missing[*]}"
    SUDO=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  # slapd asks debconf questions: answer them (no questions, no system database worth keeping).
  # scripts/servers.sh runs its own slapd with its own config; the system one must not run.
  for m in "${missing[@]}"; do
    if [ "$m" = slapd ] && command -v debconf-set-selections >/dev/null 2>&1; then
      printf '%s\n' 'slapd slapd/no_configuration boolean true' 'slapd shared/organization string revenant-test' \
        'slapd slapd/domain string revenant.test' | "${SUDO[@]}" debconf-set-selections
    fi
  done
  log=$(mktemp /tmp/revenant-install-deps.XXXXXX)
  # Keep package post-install scripts from starting system services (nginx on 0.0.0.0:80).
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  cleanup_policy() {
    if [ "$created_policy" = 1 ]; then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d; fi
  }
  trap cleanup_policy EXIT
  if ! { "${SUDO[@]}" apt-get update -qq &&
         "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    die "apt-get failed installing: ${missing[*]} (log above)"
  fi
  rm -f "$log"
fi

# Swift toolchain: on PATH, or at /opt/swift/usr/bin (the Makefile adds that to PATH).
if ! command -v swift >/dev/null 2>&1; then
  if [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
  else
    die "no Swift toolchain found: 'swift' is not on PATH and /opt/swift/usr/bin/swift does not exist.
Install a Swift 6 toolchain (swift.org) and put its usr/bin on PATH."
  fi
fi
swift --version >/dev/null 2>&1 || die "'$(command -v swift)' is present but 'swift --version' fails"

# cryptography-vectors (PyPI, ~126 MB): the certificate robustness test loads every file of its x509/.
# Debian's own python3 has no pip and refuses system-wide installs (PEP 668): bring pip in and say
# so explicitly; a pyenv or venv python installs normally.
if ! python3 -c 'import cryptography_vectors' >/dev/null 2>&1; then
  if ! python3 -m pip --version >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pip >/dev/null 2>&1 || true
  fi
  python3 -m pip install --quiet cryptography-vectors 2>/dev/null ||
    python3 -m pip install --quiet --break-system-packages cryptography-vectors ||
    echo "install-deps: pip could not install cryptography-vectors (its test fails under CI=true, else skips)" >&2
fi

# Python test servers for scripts/servers.sh: moto (AWS), scim2-server (SCIM), Authlib + Flask
# (the RFC 7662 introspection app in scripts/servers/introspection.py). Same pip fallbacks.
py_missing=()
python3 -c 'import moto.server, flask_cors' >/dev/null 2>&1 || py_missing+=('moto[server]')
python3 -c 'import scim2_server' >/dev/null 2>&1 || py_missing+=(scim2-server)
python3 -c 'import authlib' >/dev/null 2>&1 || py_missing+=(authlib)
python3 -c 'import flask' >/dev/null 2>&1 || py_missing+=(flask)
# Validators of the report formats (docs/reports.md): the SARIF 2.1.0 schema, a JUnit XML parser.
python3 -c 'import jsonschema' >/dev/null 2>&1 || py_missing+=(jsonschema)
python3 -c 'import junitparser' >/dev/null 2>&1 || py_missing+=(junitparser)
# Kubernetes manifests in deploy/kubernetes/ (docs/shards.md): validated offline against bundled schemas.
command -v kubernetes-validate >/dev/null 2>&1 || py_missing+=(kubernetes-validate)
# The OAuth 2.0 token endpoint of scripts/servers/oauth2token.py: Authlib's RFC 7523 grant verifies with joserfc.
python3 -c 'import authlib.oauth2.rfc7523, joserfc' >/dev/null 2>&1 || py_missing+=('authlib>=1.9' joserfc)
if [ "${#py_missing[@]}" -gt 0 ]; then
  if ! python3 -m pip --version >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pip >/dev/null 2>&1 || true
  fi
  python3 -m pip install --quiet "${py_missing[@]}" 2>/dev/null ||
    python3 -m pip install --quiet --break-system-packages "${py_missing[@]}" ||
    echo "install-deps: pip could not install ${py_missing[*]} (scripts/servers.sh cannot start those servers)" >&2
fi

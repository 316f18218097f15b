#!/usr/bin/env bash
# The demo's systems beyond the nginx targets of scripts/targets.sh, all on 127.0.0.1:
#   - an mTLS endpoint (nginx, ssl_verify_client on, NO ssl_crl) and a small PKI made with `openssl ca`
#     in which Dana's client certificate is revoked at the CA;
#   - sshd and moto (AWS) from scripts/servers.sh, with Dana's keys still live.
# `start DIR` writes DIR/demo-inventory.yaml and DIR/demo-config.json for `revenant verify`;
# `stop DIR` stops what start started (by pid). Needs root (sshd).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "demo: $*" >&2; exit 1; }

start() {
  local dir=$1 mtls_port=$2
  mkdir -p "$dir/pki"
  make_pki "$dir/pki"
  start_mtls "$dir" "$mtls_port"
  bash "$here/servers.sh" start sshd "$dir" >/dev/null
  bash "$here/servers.sh" start moto "$dir" >/dev/null
  write_inventory "$dir" "$mtls_port"
}

make_pki() {
  local pki=$1
  ( cd "$pki"
    rm -rf ca; mkdir -p ca/newcerts; : > ca/index.txt; echo 1000 > ca/serial
    cat > ca.cnf <<'CNF'
[ ca ]
default_ca = demo_ca
[ demo_ca ]
dir = ./ca
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
default_md = sha256
policy = any_name
unique_subject = no
[ any_name ]
commonName = supplied
[ req ]
distinguished_name = dn
[ dn ]
[ root_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
[ server_ext ]
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
[ client_ext ]
basicConstraints = CA:FALSE
extendedKeyUsage = clientAuth
CNF
    # Clients name where their CA publishes its CRL (a file here; http(s) works the same).
    printf 'crlDistributionPoints = URI:file://%s/crl.pem\n' "$PWD" >> ca.cnf
    key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
    key root
    openssl req -new -key root.key -subj "/CN=Demo Internal CA" -config ca.cnf -out root.csr
    openssl ca -batch -config ca.cnf -selfsign -keyfile root.key -in root.csr -out root.pem -notext -days 3650 -extensions root_ext 2>/dev/null
    issue() { # name ext days
      key "$1"
      openssl req -new -key "$1.key" -subj "/CN=$1" -config ca.cnf -out "$1.csr"
      openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key -in "$1.csr" -out "$1.pem" -notext -days "$3" -extensions "$2" 2>/dev/null
    }
    issue payments-gateway server_ext 90
    issue dana-client client_ext 365
    issue ci-runner-client client_ext 60
    # Dana's certificate is revoked at the CA; the CRL exists, but the endpoint never loads it.
    openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key -revoke dana-client.pem 2>/dev/null
    openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key -gencrl -crldays 7 -out crl.pem 2>/dev/null
    rm -f ./*.csr )
}

start_mtls() {
  local dir=$1 port=$2 nginx
  nginx=$(command -v nginx || echo /usr/sbin/nginx)
  [ -x "$nginx" ] || die "nginx not found: install nginx-light"
  mkdir -p "$dir/mtls/tmp"
  cat > "$dir/mtls/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid "$dir/mtls/nginx.pid";
error_log "$dir/mtls/error.log" notice;
events { worker_connections 64; }
http {
    access_log "$dir/mtls/access.log";
    client_body_temp_path "$dir/mtls/tmp";
    proxy_temp_path "$dir/mtls/tmp";
    fastcgi_temp_path "$dir/mtls/tmp";
    uwsgi_temp_path "$dir/mtls/tmp";
    scgi_temp_path "$dir/mtls/tmp";
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate "$dir/pki/payments-gateway.pem";
        ssl_certificate_key "$dir/pki/payments-gateway.key";
        ssl_verify_client on;
        ssl_client_certificate "$dir/pki/root.pem";
        # No ssl_crl: this endpoint never learns that a client certificate was revoked.
        location / { return 200 "payments gateway: hello \$ssl_client_s_dn\n"; }
    }
}
CONF
  setsid "$nginx" -c "$dir/mtls/nginx.conf" -p "$dir/mtls" -e "$dir/mtls/error.log" </dev/null >/dev/null 2>&1 &
  echo $! > "$dir/mtls/pid"
  for _ in $(seq 1 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "$(cat "$dir/mtls/pid")" 2>/dev/null || break
    sleep 0.1
  done
  tail -5 "$dir/mtls/error.log" >&2 || true
  die "the mTLS endpoint did not start on 127.0.0.1:$port"
}

write_inventory() {
  local dir=$1 port=$2
  set -a; . "$dir/sshd.env"; . "$dir/moto.env"; set +a
  mkdir -p "$dir/secrets"
  printf '%s' "$AWS_LIVE_SECRET" > "$dir/secrets/aws_dana"; printf '%s' "$AWS_DEAD_SECRET" > "$dir/secrets/aws_old"
  chmod 600 "$dir/secrets/aws_dana" "$dir/secrets/aws_old"
  cat > "$dir/demo-config.json" <<JSON
{"timeout_seconds": 5, "tls": {"ca_bundle": "$dir/pki/root.pem"}}
JSON
  {
    echo "# Written by scripts/demo.sh: Dana's SSH keys, AWS keys and client certificate (same story as inventory.yaml)."
    echo "credentials:"
    # id kind state revoked_at login-field secret-line target extra-line tags
    entry dana-ssh-ed25519 ssh_key offboarded 2026-10-31T17:00:00Z "username: $SSHD_USER" \
      "secret: {\"file\": \"$SSH_LIVE_ED25519\"}" demo-ssh "ssh://127.0.0.1:$SSHD_PORT" "host_key_sha256: \"$SSHD_HOST_KEY_SHA256\""
    entry dana-ssh-rsa-laptop ssh_key offboarded 2026-10-31T17:00:00Z "username: $SSHD_USER" \
      "secret: {\"file\": \"$SSH_DEAD_RSA\"}" demo-ssh "ssh://127.0.0.1:$SSHD_PORT" "host_key_sha256: \"$SSHD_HOST_KEY_SHA256\""
    entry dana-aws-deploy-key aws_access_key offboarded 2026-10-31T17:00:00Z "access_key_id: $AWS_LIVE_KEY_ID" \
      "secret: {\"file\": \"$dir/secrets/aws_dana\"}" demo-aws "$AWS_ENDPOINT" ""
    entry dana-aws-old-key aws_access_key revoked 2026-06-01T00:00:00Z "access_key_id: $AWS_DEAD_KEY_ID" \
      "secret: {\"file\": \"$dir/secrets/aws_old\"}" demo-aws "$AWS_ENDPOINT" ""
    entry dana-client-certificate x509_certificate revoked 2026-10-31T17:10:00Z "certificate: {\"file\": \"$dir/pki/dana-client.pem\"}" \
      "private_key: {\"file\": \"$dir/pki/dana-client.key\"}" tls-client-certificate "https://127.0.0.1:$port" ""
    entry ci-runner-client-certificate x509_certificate active "" "certificate: {\"file\": \"$dir/pki/ci-runner-client.pem\"}" \
      "private_key: {\"file\": \"$dir/pki/ci-runner-client.key\"}" tls-client-certificate "https://127.0.0.1:$port" ""
  } > "$dir/demo-inventory.yaml"
}

entry() {
  local id=$1 kind=$2 state=$3 revoked=$4 login=$5 secret=$6 probe=$7 target=$8 extra=$9
  echo "  - id: $id"
  echo "    kind: $kind"
  echo "    state: $state"
  if [ "$state" = active ]; then echo "    owner: platform@example.com"; else echo "    owner: dana.okafor@example.com"; fi
  if [ -n "$revoked" ]; then echo "    revoked_at: \"$revoked\""; fi
  echo "    $login"
  echo "    $secret"
  echo "    probe: $probe"
  echo "    target: \"$target\""
  if [ -n "$extra" ]; then echo "    $extra"; fi
}

stop() {
  local dir=$1
  if [ -f "$dir/mtls/pid" ]; then
    kill "$(cat "$dir/mtls/pid")" 2>/dev/null || true
    rm -f "$dir/mtls/pid"
  fi
  bash "$here/servers.sh" stop "$dir" >/dev/null 2>&1 || true
}

case "${1:-}" in
  start) [ $# -ge 2 ] || die "usage: $0 start DIR [MTLS_PORT] | stop DIR"; start "$2" "${3:-18083}" ;;
  stop) [ $# -ge 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
  *) die "usage: $0 start DIR [MTLS_PORT] | stop DIR" ;;
esac

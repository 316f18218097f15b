#!/usr/bin/env python3
"""Seed inputs for scripts/fuzz.sh, one directory per fuzz target under SEEDS (made anew).

    scripts/fuzz-seeds.py SEEDS PKI

From the repository (fixtures, shipped probes, docs), from cryptography_vectors (PyPI; its x509,
CRL, OCSP and PKCS#12 files) when installed, and made here (HTTP answers, login replies, server
text quoting the fuzz secret, a JWT and a JWK Set, a seal statement, a time-stamp made by
`openssl ts`, a ledger written by the plain build's `revenant verify`). Inputs over 64 KiB (the
fuzzer's -max_len) are left out.
"""
import base64, glob, json, os, shutil, subprocess, sys, tempfile

MAX = 65536
SECRET = "ghp_R3vEnAnT-fUzZ-5ecret/+=%Key"  # Fixed.secret in Sources/revenant-fuzz/Fuzz.swift


def main():
    seeds, pki = sys.argv[1], sys.argv[2]
    shutil.rmtree(seeds, ignore_errors=True)
    count = {}

    def put(target, data, name=None):
        if isinstance(data, str):
            data = data.encode()
        if not data or len(data) > MAX:
            return
        d = os.path.join(seeds, target)
        os.makedirs(d, exist_ok=True)
        n = count.get(target, 0)
        count[target] = n + 1
        with open(os.path.join(d, name or f"seed-{n:04d}"), "wb") as f:
            f.write(data)

    def files(pattern, limit=400):
        return sorted(glob.glob(pattern, recursive=True))[:limit]

    def read(path):
        with open(path, "rb") as f:
            return f.read()

    # Inventories, configurations, probes: the repository's own.
    for path in files("Fixtures/**/*.json") + files("Tests/**/*.json"):
        data = read(path)
        if b'"credentials"' in data:
            put("inventory-json", data)
        if b'"timeout_seconds"' in data or b'"per_host"' in data:
            put("configuration", data)
    for path in files("Fixtures/**/*.yaml") + files("Fixtures/**/*.yml"):
        put("inventory-yaml", read(path))
    for path in files("Fixtures/**/*.csv") + files("Tests/**/*.csv"):
        put("inventory-csv", read(path))
    put("inventory-yaml", "credentials:\n  - &a {id: a, kind: api_key, state: revoked, secret: {value: x}, probe: github}\n  - *a\n")
    # Found by fuzzing: aliases as mapping keys (Yams hashes each key whole); must be refused at once.
    put("inventory-yaml", "? &k0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n: 0\n"
        + "".join(f"? &k{i} [{', '.join([f'*k{i - 1}'] * 9)}]\n: {i}\n" for i in range(1, 10)))
    put("inventory-csv", "id,kind,state,owner,secret_env,probe,target\ngh-old,api_key,revoked,dana,OLD_TOKEN,github,https://api.github.com\n")
    put("inventory-json", json.dumps({"credentials": [{"id": "k", "kind": "bearer_token", "state": "offboarded", "owner": "dana",
                                                         "secret": {"file": "s.txt"}, "probes": [{"probe": "github"}]}],
                                      "controls": [{"probe": "github", "secret": {"env": "CANARY"}}]}))
    if os.path.exists("config.example.json"):
        put("configuration", read("config.example.json"))
    for path in files("Probes/*.json") + files("Fixtures/**/probes/*.json"):
        put("probe", read(path))

    # Importers: the sample outputs of the scanners, the IAM report and kubectl (Fixtures/import).
    for target, names in [("import-trufflehog", ["trufflehog.jsonl"]), ("import-gitleaks", ["gitleaks-report.json"]),
                          ("import-aws", ["credential-report.csv"]),
                          ("import-kubernetes", ["kubernetes-secrets.json", "kubernetes-manifests.yaml"])]:
        for name in names:
            if os.path.exists("Fixtures/import/" + name):
                put(target, read("Fixtures/import/" + name))

    # Certificates, CRLs, OCSP answers, PKCS#12: cryptography_vectors, and the fuzz PKI.
    try:
        import cryptography_vectors
        vectors = os.path.dirname(cryptography_vectors.__file__)
    except ImportError:
        vectors = None
        print("fuzz-seeds: cryptography_vectors is not installed: certificate seeds from the fuzz PKI only", file=sys.stderr)
    def first_der(data):
        """The first PEM certificate block's DER (RFC 7468), or the bytes as they are."""
        begin, end = b"-----BEGIN CERTIFICATE-----", b"-----END CERTIFICATE-----"
        if begin not in data or end not in data:
            return data
        return base64.b64decode(b"".join(data.split(begin, 1)[1].split(end, 1)[0].split()))

    for name in ("ca.pem", "leaf.pem"):
        put("certificate", read(os.path.join(pki, name)))
        put("certificate-der", first_der(read(os.path.join(pki, name))))
        put("certificate-der", read(os.path.join(pki, name)))  # the PEM too: the plain PEM reader's oracle
    if vectors:
        x509 = os.path.join(vectors, "x509")
        for path in files(x509 + "/*.pem", 200) + files(x509 + "/*.der", 100) + files(x509 + "/custom/*.pem", 200):
            if "crl" not in os.path.basename(path):
                put("certificate", read(path))
                put("certificate-der", first_der(read(path)))
        for path in files(os.path.join(vectors, "pkcs12") + "/**/*.p12", 60):
            put("certificate", read(path))
        for path in files(x509 + "/custom/crl_*", 200):
            put("crl", read(path))
        for path in files(x509 + "/ocsp/*resp*.der", 100):
            put("ocsp", read(path))

    # HTTP answers for the shipped probes: the first byte picks the probe, the next two the status.
    bodies = [b'{"login":"someone","id":1}', b'{"error":"bad credentials","message":"Bad credentials"}',
              b'{"active":true,"scope":"read"}', b'{"active":false}',
              b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"Resources":[{"userName":"svc-fuzz","active":true}]}',
              b'<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>',
              b'<ErrorResponse><Error><Code>InvalidClientTokenId</Code></Error></ErrorResponse>', b'']
    for i, (status, body) in enumerate((s, b) for s in (200, 401, 403, 404, 302, 429, 503) for b in bodies):
        value = status - 100
        headers = b"Content-Type: application/json\nLocation: /err/" + SECRET[:12].encode() + b"\nRetry-After: 30\n\n"
        put("http-reply", bytes([i % 56, value >> 8, value & 0xFF]) + headers + body)

    for text in ["a1 NO [AUTHENTICATIONFAILED] Authentication failed.", "a1 OK [CAPABILITY IMAP4rev1] Logged in",
                 "535 5.7.8 Error: authentication failed: authentication failure", "235 2.7.0 Authentication successful",
                 'FATAL:  password authentication failed for user "svc"', 'FATAL:  role "svc" does not exist',
                 "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563",
                 "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 773, v4563",
                 "SSL alert number 116", "tlsv13 alert certificate required",
                 "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>"]:
        put("login-reply", text)

    # Server text that quotes the secret in the ways servers do.
    from urllib.parse import quote
    raw = SECRET.encode()
    for text in [SECRET, SECRET[:10], "/err/" + SECRET, quote(SECRET, safe=""), quote(SECRET, safe="").lower(),
                 quote(quote(SECRET, safe=""), safe=""), base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode(),
                 raw.hex(), SECRET.upper(), json.dumps(SECRET), "&#103;&#104;&#112;" + SECRET[3:], SECRET.replace("-", "\u00ad-")]:
        put("scrubber", text)

    # Tokens and key sets.
    def b64u(b):
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    for header, claims in [({"alg": "HS256", "typ": "JWT"}, {"sub": "svc", "exp": 1780000000, "iat": 1700000000}),
                           ({"alg": "RS256", "kid": "k1"}, {"iss": "https://idp.test", "aud": ["api"], "exp": "soon"}),
                           ({"alg": "none"}, {})]:
        put("jwt", b64u(json.dumps(header).encode()) + "." + b64u(json.dumps(claims).encode()) + "." + b64u(b"\x01" * 32))
    put("jwks", json.dumps({"keys": [{"kty": "EC", "crv": "P-256", "kid": "k1", "x": b64u(os.urandom(32)), "y": b64u(os.urandom(32))},
                                     {"kty": "RSA", "kid": "k2", "n": b64u(os.urandom(256)), "e": "AQAB"},
                                     {"kty": "OKP", "crv": "Ed25519", "x": b64u(os.urandom(32))}]}))

    # A seal statement in the canonical form of docs/evidence.md.
    put("seal-statement", "revenant-seal v1\nledger: evidence.jsonl\nrecords: 30\nhead: sha256:" + "1" * 64 +
        "\nledger-sha256: " + "2" * 64 + "\nfirst-time: 2026-12-06T07:33:51.532Z\nlast-time: 2026-12-06T07:33:53.038Z\n"
        "key: sha256:" + "3" * 64 + "\nruns: 1\nrun: 66c0e1b9-5957-42ae-baec-6bfbbf36b3a2\n")

    with tempfile.TemporaryDirectory() as work:
        # A time-stamp answer from `openssl ts -reply`, signed by the fuzz leaf (no timeStamping EKU: it will not verify).
        cnf = os.path.join(work, "tsa.cnf")
        with open(cnf, "w") as f:
            f.write(f"[ tsa ]\ndefault_tsa = t\n[ t ]\nserial = {work}/serial\ncrypto_device = builtin\nsigner_cert = {pki}/leaf.pem\n"
                    f"certs = {pki}/leaf.pem\nsigner_key = {pki}/leaf.key\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\n"
                    "digests = sha256\ness_cert_id_alg = sha256\n")
        with open(os.path.join(work, "serial"), "w") as f:
            f.write("01\n")
        data, tsq, tsr = (os.path.join(work, n) for n in ("data", "q.tsq", "r.tsr"))
        with open(data, "wb") as f:
            f.write(b"\x01\x02\x03")
        ok = subprocess.run(["openssl", "ts", "-query", "-data", data, "-sha256", "-cert", "-out", tsq], capture_output=True).returncode == 0
        ok = ok and subprocess.run(["openssl", "ts", "-reply", "-config", cnf, "-queryfile", tsq, "-out", tsr], capture_output=True).returncode == 0
        if ok and os.path.exists(tsr):
            put("timestamp", read(tsr))
        # A ledger, written by the plain build's `revenant verify` over the demo inventory (its targets
        # are not started: every check is refused at once, and recorded).
        if os.access(".build/debug/revenant", os.X_OK):
            ledger = os.path.join(work, "evidence.jsonl")
            subprocess.run([".build/debug/revenant", "verify", "--inventory", "Fixtures/demo/inventory.yaml", "--probes", "Fixtures/demo/probes",
                            "--ledger", ledger, "--format", "json", "--output", os.devnull, "--no-progress"], capture_output=True, timeout=120)
            report = os.path.join(work, "report.json")
            subprocess.run([".build/debug/revenant", "verify", "--inventory", "Fixtures/demo/inventory.yaml", "--probes", "Fixtures/demo/probes",
                            "--shard", "0/1", "--format", "json", "--output", report, "--no-progress"], capture_output=True, timeout=120)
            if os.path.exists(report):
                put("report-json", read(report))
            if os.path.exists(ledger):
                lines = read(ledger).splitlines(keepends=True)
                put("ledger", b"".join(lines[:20]))
                put("ledger", b"".join(lines[:3]))
    put("ledger", b'{"seq":1}\n')

    # OpenSSH user certificates and a KRL, made by ssh-keygen (a throwaway CA of this run).
    if shutil.which("ssh-keygen"):
        with tempfile.TemporaryDirectory() as ssh:
            def keygen(*args):
                return subprocess.run(["ssh-keygen", "-q", *args], capture_output=True, timeout=60).returncode == 0
            keygen("-t", "ed25519", "-N", "", "-f", f"{ssh}/ca")
            for i, (t, extra) in enumerate([("ed25519", []), ("ecdsa", ["-b", "256"]), ("rsa", ["-b", "2048"])]):
                keygen("-t", t, *extra, "-N", "", "-f", f"{ssh}/k{i}")
                keygen("-s", f"{ssh}/ca", "-I", f"fuzz-{t}", "-n", "alice,bob", "-z", str(100 + i), "-V", "-1d:+1d",
                       "-O", "force-command=/bin/true", f"{ssh}/k{i}.pub")
                if os.path.exists(f"{ssh}/k{i}-cert.pub"):
                    put("ssh-certificate", read(f"{ssh}/k{i}-cert.pub"))
            with open(f"{ssh}/spec", "w") as f:
                f.write("serial: 1-50\nserial: 101\nid: fuzz-rsa\n")
            if keygen("-k", "-f", f"{ssh}/krl", "-s", f"{ssh}/ca.pub", f"{ssh}/spec"):
                put("ssh-krl", read(f"{ssh}/krl"))
            if keygen("-k", "-f", f"{ssh}/krl2", f"{ssh}/k0.pub"):
                put("ssh-krl", read(f"{ssh}/krl2"))

    print("fuzz-seeds: " + ", ".join(f"{t} {n}" for t, n in sorted(count.items())))


if __name__ == "__main__":
    main()

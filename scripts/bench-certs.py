#!/usr/bin/env python3
"""Certificate benchmarks, all local, same run, best of N timings, figures and ratios printed.

  (a) A CRL with 1,000,000 entries (made by `openssl ca -gencrl` from a generated index.txt):
      `openssl crl -noout -in FILE` vs `revenant-bench crl FILE LIST` (built beside revenant)
      (load the CRL, then 1,000 serial lookups, half of them revoked). Floor: revenant <= 1.5 x openssl.
  (b) 10,000 generated PEM certificates in 100 directories: `revenant certs DIR --format json
      --output /dev/null` vs a Python script using pyca/cryptography doing the same checks (expiry,
      expiring soon, rotation age, weak crypto, SHA-256 fingerprint, the same facts) and writing the
      same JSON. Floor: revenant 2 x faster; goal 3 x.
Usage: scripts/bench-certs.py [BINARY] [--quick]   (BINARY: .build/release/revenant)
"""
import datetime, json, os, random, shutil, subprocess, sys, tempfile, time

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
BIN = os.path.abspath(ARGS[0] if ARGS else ".build/release/revenant")
BENCH_BIN = os.path.join(os.path.dirname(BIN), "revenant-bench")
QUICK = "--quick" in sys.argv
CRL_ENTRIES = 100_000 if QUICK else 1_000_000
CERTS = 1_000 if QUICK else 10_000
RUNS = 5


def best_of(command, runs=RUNS):
    """(wall, cpu): the fastest wall time and the smallest user+sys CPU time of `runs` runs. The
    machine is shared: the minimum is the least disturbed run, and CPU time is less disturbed still."""
    walls, cpus = [], []
    for _ in range(runs):
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        walls.append(time.perf_counter() - start)
        cpus.append(usage.ru_utime + usage.ru_stime)
        if status != 0:
            sys.exit(f"{command[0]} failed (status {status})")
    return min(walls), min(cpus)


def make_crl(work):
    """A CA database with CRL_ENTRIES revoked serials, signed into one PEM CRL by `openssl ca`."""
    os.makedirs(f"{work}/ca/newcerts")
    open(f"{work}/ca/crlnumber", "w").write("01\n")
    open(f"{work}/ca/serial", "w").write("1000\n")
    open(f"{work}/ca.cnf", "w").write("""[ ca ]
default_ca = bench
[ bench ]
dir = ./ca
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
crlnumber = $dir/crlnumber
default_md = sha256
default_crl_days = 7
policy = p
unique_subject = no
[ p ]
commonName = supplied
[ req ]
distinguished_name = dn
[ dn ]
""")
    run = lambda *c: subprocess.run(c, cwd=work, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "root.key")
    run("openssl", "req", "-new", "-x509", "-key", "root.key", "-subj", "/CN=Bench CRL Root", "-days", "100", "-out", "root.pem")
    serial = lambda i: 0x100000 + i * 7
    with open(f"{work}/ca/index.txt", "w") as f:
        for i in range(CRL_ENTRIES):
            f.write("R\t301231000000Z\t250101000000Z,keyCompromise\t%X\tunknown\t/CN=r%d\n" % (serial(i), i))
    run("openssl", "ca", "-config", "ca.cnf", "-cert", "root.pem", "-keyfile", "root.key", "-gencrl", "-out", "big.crl")
    rng = random.Random(1)
    with open(f"{work}/serials.txt", "w") as f:
        for _ in range(1000):
            i = rng.randrange(2 * CRL_ENTRIES)
            f.write("%X\n" % (serial(i) if i < CRL_ENTRIES else serial(i) + 3))  # +3: never a revoked serial
    return f"{work}/big.crl", f"{work}/serials.txt"


def bench_crl(work):
    t0 = time.perf_counter()
    crl, serials = make_crl(work)
    made = time.perf_counter() - t0
    out = subprocess.run([BENCH_BIN, "crl", crl, serials], check=True, capture_output=True, text=True).stdout.strip()
    ours, ours_cpu = best_of([BENCH_BIN, "crl", crl, serials])
    theirs, theirs_cpu = best_of(["openssl", "crl", "-noout", "-in", crl])
    ratio = ours / theirs
    print(f"(a) CRL with {CRL_ENTRIES:,} entries ({os.path.getsize(crl) / 1e6:.1f} MB PEM, made in {made:.1f} s): {out}")
    print(f"    openssl crl -noout:                        {theirs:.3f} s wall, {theirs_cpu:.3f} s CPU")
    print(f"    revenant load + 1,000 lookups:             {ours:.3f} s wall, {ours_cpu:.3f} s CPU")
    print(f"    ratio revenant/openssl {ratio:.2f} wall, {ours_cpu / theirs_cpu:.2f} CPU (floor <= 1.50): {'MET' if ratio <= 1.5 else 'MISSED'}")
    return ratio


def make_certs(directory):
    """CERTS leaf certificates from one EC CA: RSA 2048/1024 and EC P-256/P-384 keys, dates spread so
    that some are expired, some expiring, some overdue for rotation."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID
    rng = random.Random(7)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench Root")])
    keys = [rsa.generate_private_key(65537, 2048).public_key(), rsa.generate_private_key(65537, 1024).public_key(),
            ec.generate_private_key(ec.SECP256R1()).public_key(), ec.generate_private_key(ec.SECP384R1()).public_key()]
    now = datetime.datetime.now(datetime.timezone.utc)
    for i in range(CERTS):
        start = now - datetime.timedelta(days=rng.randrange(0, 400))
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"svc{i}.example.com"),
                                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Bench")]))
                .issuer_name(ca_name).public_key(keys[i % 4]).serial_number(0x10000 + i)
                .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=rng.randrange(30, 800)))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(f"svc{i}.example.com")]), critical=False)
                .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                    [x509.UniformResourceIdentifier("http://crl.example.com/bench.crl")], None, None, None)]), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=False)
                .sign(ca_key, hashes.SHA256()))
        sub = f"{directory}/d{i % 100:02d}"
        os.makedirs(sub, exist_ok=True)
        with open(f"{sub}/cert-{i}.pem", "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))


# The Python side of (b): the same walk, facts, rules and JSON as `revenant certs --format json`.
PYTHON_CHECKER = r'''
import datetime, hashlib, json, os, sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa
from cryptography.x509.oid import ExtensionOID, AuthorityInformationAccessOID
EXT = {"pem", "crt", "cer", "der"}
now = datetime.datetime.now(datetime.timezone.utc)
def fmt(d): return d.strftime("%Y-%m-%dT%H:%M:%SZ")
def ext(cert, oid):
    try: return cert.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound: return None
def check(cert, path):
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey): kt, bits = "RSA", key.key_size
    elif isinstance(key, ec.EllipticCurvePublicKey): kt, bits = "EC", key.curve.key_size
    elif isinstance(key, dsa.DSAPublicKey): kt, bits = "DSA", key.key_size
    elif isinstance(key, ed25519.Ed25519PublicKey): kt, bits = "Ed25519", 256
    else: kt, bits = "unknown", 0
    nb, na = cert.not_valid_before_utc, cert.not_valid_after_utc
    sans = ext(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    cdp = ext(cert, ExtensionOID.CRL_DISTRIBUTION_POINTS)
    aia = ext(cert, ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
    bc = ext(cert, ExtensionOID.BASIC_CONSTRAINTS)
    is_ca = bool(bc and bc.ca)
    digest = cert.signature_hash_algorithm.name if cert.signature_hash_algorithm else None
    tags = {"subject": cert.subject.rfc4514_string(), "issuer": cert.issuer.rfc4514_string(),
            "serial": format(cert.serial_number, "x"), "not_before": fmt(nb), "not_after": fmt(na),
            "sha256": hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest(),
            "key": f"{kt} {bits}", "signature": cert.signature_algorithm_oid._name, "is_ca": str(is_ca).lower(),
            "self_signed": str(cert.subject == cert.issuer).lower()}
    if sans: tags["sans"] = ", ".join(f"DNS:{n}" for n in sans.get_values_for_type(x509.DNSName))
    if cdp: tags["crl"] = ", ".join(n.value for p in cdp for n in (p.full_name or []))
    if aia: tags["ocsp"] = ", ".join(d.access_location.value for d in aia if d.access_method == AuthorityInformationAccessOID.OCSP)
    findings = []
    if na <= now: findings.append(("expired", "high"))
    else:
        left, life = (na - now).total_seconds(), (na - nb).total_seconds()
        if left <= min(30 * 86400, life / 3): findings.append(("expiring_soon", "medium"))
        if not is_ca and (now - nb).total_seconds() / 86400 > 90: findings.append(("rotation_overdue", "medium"))
    if (kt == "RSA" and bits < 2048) or kt == "DSA" or (kt == "EC" and bits < 256) or (digest or "").lower() in ("sha1", "md5"):
        findings.append(("weak_crypto", "medium"))
    if not findings: findings.append(("ok", "info"))
    return {"credential": {"id": path, "kind": "x509_certificate", "state": "active", "owner": None,
                           "fingerprint": "sha256:" + tags["sha256"][:16], "expires_at": fmt(na), "tags": tags},
            "checks": [], "findings": [{"code": c, "severity": s} for c, s in findings]}
results = []
for root, _, files in os.walk(sys.argv[1]):
    for name in sorted(files):
        if name.rsplit(".", 1)[-1].lower() not in EXT: continue
        path = os.path.join(root, name)
        data = open(path, "rb").read()
        certs = x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data else [x509.load_der_x509_certificate(data)]
        for i, c in enumerate(certs): results.append(check(c, path if i == 0 else f"{path}#{i + 1}"))
with open(sys.argv[2], "w") as out: json.dump({"schema": "revenant.report/v1", "results": results}, out, indent=2)
'''


def bench_certs(work):
    directory = f"{work}/certs"
    t0 = time.perf_counter()
    make_certs(directory)
    made = time.perf_counter() - t0
    checker = f"{work}/checker.py"
    open(checker, "w").write(PYTHON_CHECKER)
    ours_cmd = [BIN, "certs", directory, "--format", "json", "--output", "/dev/null"]
    theirs_cmd = [sys.executable, checker, directory, "/dev/null"]
    # Both must have read every certificate: compare counts once, outside the timings.
    report = json.loads(subprocess.run([BIN, "certs", directory, "--format", "json", "--fail-on", "never"],
                                       check=True, capture_output=True, text=True).stdout)
    python_out = f"{work}/python.json"
    subprocess.run([sys.executable, checker, directory, python_out], check=True)
    python_results = json.load(open(python_out))["results"]
    assert len(report["results"]) == len(python_results) == CERTS, (len(report["results"]), len(python_results))
    ours_cmd.extend(["--fail-on", "never"])
    ours, ours_cpu = best_of(ours_cmd)
    theirs, theirs_cpu = best_of(theirs_cmd)
    speedup = theirs / ours
    print(f"(b) {CERTS:,} PEM certificates (made in {made:.1f} s), same checks, JSON to /dev/null:")
    print(f"    python3 + pyca/cryptography:               {theirs:.3f} s wall, {theirs_cpu:.3f} s CPU")
    print(f"    revenant certs:                            {ours:.3f} s wall, {ours_cpu:.3f} s CPU")
    verdict = "GOAL MET" if speedup >= 3 else ("floor met, goal missed" if speedup >= 2 else "FLOOR MISSED")
    print(f"    revenant is {speedup:.2f}x faster wall, {theirs_cpu / ours_cpu:.2f}x CPU (floor 2x, goal 3x): {verdict}")
    return speedup


def main():
    if not os.access(BIN, os.X_OK):
        sys.exit(f"{BIN} is not an executable: build it first (swift build -c release)")
    work = tempfile.mkdtemp(prefix="revenant-bench-certs-")
    try:
        print(f"revenant certificate benchmarks ({BIN}; best of {RUNS} runs each; {os.cpu_count()} cores)")
        ratio = bench_crl(work)
        speedup = bench_certs(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if ratio <= 1.5 and speedup >= 2 else 1)


if __name__ == "__main__":
    main()

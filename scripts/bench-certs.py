#!/usr/bin/env python3
"""Certificate benchmarks, all local, same run, figures and ratios printed.

  (a) A CRL with 1,000,000 entries (made by `openssl ca -gencrl` from a generated index.txt):
      `openssl crl -noout -in FILE` vs `revenant-bench crl FILE LIST` (built beside revenant)
      (load the CRL, then 1,000 serial lookups, half of them revoked), best of N. Floor: revenant <= 1.5 x openssl.
  (b) 10,000 generated PEM certificates in 100 directories: `revenant certs DIR --format json
      --output /dev/null` vs a Python script using pyca/cryptography making the same checks (expiry,
      expiring soon by the lifetime fraction, rotation age, RSA < 2048 / DSA / EC < 256, SHA-1/MD5
      signatures, the SHA-256 fingerprint) and printing a count per finding; the counts must agree.
      Interpreter and process start included, runs alternated, medians. Floor: revenant 2 x faster; goal 3 x.
Usage: scripts/bench-certs.py [BINARY] [--quick] [--certs-only]   (BINARY: .build/release/revenant)
"""
import datetime, json, os, random, shutil, statistics, subprocess, sys, tempfile, time

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
BIN = os.path.abspath(ARGS[0] if ARGS else ".build/release/revenant")
BENCH_BIN = os.path.join(os.path.dirname(BIN), "revenant-bench")
QUICK = "--quick" in sys.argv
CERTS_ONLY = "--certs-only" in sys.argv
CRL_ENTRIES = 100_000 if QUICK else 1_000_000
CERTS = 1_000 if QUICK else 10_000
RUNS = 7


def timed(command):
    """(wall, cpu) of one run: wall seconds and the child's user+sys CPU seconds."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        sys.exit(f"{command[0]} failed (status {status})")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def best_of(command, runs=RUNS):
    """(wall, cpu): the fastest wall time and the smallest user+sys CPU time of `runs` runs. The
    machine is shared: the minimum is the least disturbed run, and CPU time is less disturbed still."""
    walls, cpus = zip(*(timed(command) for _ in range(runs)))
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


# The Python side of (b): the checks `revenant certs` makes on a plain file with no network and no
# inventory, nothing more: walk, read, parse every PEM certificate, the SHA-256 fingerprint of its DER,
# expired / expiring soon (within 30 days, but not before the last third of its lifetime) / rotation
# overdue (issued more than 90 days ago, leaves only) / weak crypto (RSA < 2048, DSA, EC < 256, a
# SHA-1 or MD5 signature but on a self-signed CA), and a count per finding. revenant does more on top
# (subject, issuer, serial, SANs, CRL/OCSP URLs as tags, finding messages, a JSON report).
PYTHON_CHECKER = r"""
import datetime, os, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
now = datetime.datetime.now(datetime.timezone.utc)
EXT = {"pem", "crt", "cer", "der"}
counts = {}
def check(cert):
    nb, na = cert.not_valid_before_utc, cert.not_valid_after_utc
    key = cert.public_key()
    try: bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound: bc = False
    try: digest = cert.signature_hash_algorithm
    except Exception: digest = None
    cert.fingerprint(hashes.SHA256())
    found = []
    if na <= now: found.append("expired")
    else:
        left, life = (na - now).total_seconds(), (na - nb).total_seconds()
        if left <= min(30 * 86400, life / 3): found.append("expiring_soon")
        if not bc and (now - nb).total_seconds() / 86400 > 90: found.append("rotation_overdue")
    weak = (isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048) or isinstance(key, dsa.DSAPublicKey) \
        or (isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size < 256)
    if digest is not None and digest.name in ("sha1", "md5") and not (bc and cert.subject == cert.issuer): weak = True
    if weak: found.append("weak_crypto")
    for f in found or ["ok"]: counts[f] = counts.get(f, 0) + 1
for root, _, files in os.walk(sys.argv[1]):
    for name in sorted(files):
        if name.rsplit(".", 1)[-1].lower() not in EXT: continue
        data = open(os.path.join(root, name), "rb").read()
        for cert in (x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data else [x509.load_der_x509_certificate(data)]):
            check(cert)
print(" ".join(f"{k}={v}" for k, v in sorted(counts.items())))
"""


def bench_certs(work):
    directory = f"{work}/certs"
    t0 = time.perf_counter()
    make_certs(directory)
    made = time.perf_counter() - t0
    checker = f"{work}/checker.py"
    open(checker, "w").write(PYTHON_CHECKER)
    ours_cmd = [BIN, "certs", directory, "--format", "json", "--output", "/dev/null", "--fail-on", "never"]
    theirs_cmd = [sys.executable, checker, directory]
    # Both judge every certificate alike: compare the counts per finding once, outside the timings.
    report = json.loads(subprocess.run([BIN, "certs", directory, "--format", "json", "--fail-on", "never"],
                                       check=True, capture_output=True, text=True).stdout)
    ours_counts = {}
    for result in report["results"]:
        for finding in result["findings"]:
            ours_counts[finding["code"]] = ours_counts.get(finding["code"], 0) + 1
    ours_line = " ".join(f"{k}={v}" for k, v in sorted(ours_counts.items()))
    theirs_line = subprocess.run(theirs_cmd, check=True, capture_output=True, text=True).stdout.strip()
    assert len(report["results"]) == CERTS, len(report["results"])
    assert ours_line == theirs_line, (ours_line, theirs_line)
    # Alternated, so a burst of load from elsewhere on the machine falls on both alike.
    ours_runs, theirs_runs = [], []
    for _ in range(RUNS):
        ours_runs.append(timed(ours_cmd))
        theirs_runs.append(timed(theirs_cmd))
    ours, ours_cpu = (statistics.median(r[i] for r in ours_runs) for i in (0, 1))
    theirs, theirs_cpu = (statistics.median(r[i] for r in theirs_runs) for i in (0, 1))
    speedup = theirs / ours
    print(f"(b) {CERTS:,} PEM certificates (made in {made:.1f} s), the same findings ({ours_line}):")
    print(f"    python3 + pyca/cryptography, checks only:  {theirs:.3f} s wall, {theirs_cpu:.3f} s CPU (median of {RUNS})")
    print(f"    revenant certs, JSON report to /dev/null:  {ours:.3f} s wall, {ours_cpu:.3f} s CPU (median of {RUNS})")
    verdict = "GOAL MET" if speedup >= 3 else ("floor met, goal missed" if speedup >= 2 else "FLOOR MISSED")
    print(f"    revenant is {speedup:.2f}x faster wall, {theirs_cpu / ours_cpu:.2f}x CPU (floor 2x, goal 3x): {verdict}")
    return speedup


def main():
    if not os.access(BIN, os.X_OK):
        sys.exit(f"{BIN} is not an executable: build it first (swift build -c release)")
    work = tempfile.mkdtemp(prefix="revenant-bench-certs-")
    try:
        print(f"revenant certificate benchmarks ({BIN}; {RUNS} runs each; {os.cpu_count()} cores)")
        ratio = 1.0 if CERTS_ONLY else bench_crl(work)
        speedup = bench_certs(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if ratio <= 1.5 and speedup >= 2 else 1)


if __name__ == "__main__":
    main()

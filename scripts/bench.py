#!/usr/bin/env python3
"""revenant benchmarks (issue: the probe engine). Everything runs on loopback and stops by itself.

Measures, in one run, against one nginx (1 worker) answering 200 for `Bearer live-*` and 401 otherwise:
  1. wrk (1 thread, 32 connections) on the endpoint the probes hit: requests/s (the baseline);
  2. `revenant verify` on 20,000 credentials (half live, half dead): probes/s, and the ratio to wrk;
  3. peak RSS of `revenant verify` on a 100,000-credential inventory;
  4. 8 hosts (127.0.0.1-8), each limited to R requests/s: total time vs max over hosts of (credentials on host / R).
Usage: scripts/bench.py BINARY [--quick]
"""
import json, os, re, shutil, socket, subprocess, sys, tempfile, time

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/revenant")
QUICK = "--quick" in sys.argv
N_MAIN = 2000 if QUICK else 20000
N_RSS = 10000 if QUICK else 100000
RATE = 40            # requests/s per host in the rate-limit test
PER_HOST = 40 if QUICK else 120

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def start_nginx(work, port):
    conf = f"""
worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {work}/tmp; proxy_temp_path {work}/tmp; fastcgi_temp_path {work}/tmp;
  uwsgi_temp_path {work}/tmp; scgi_temp_path {work}/tmp;
  keepalive_requests 1000000;
  default_type application/json;
  map $http_authorization $who {{ default 0; "~^Bearer live-" 1; }}
  server {{
    listen 127.0.0.1:{port}; {" ".join(f"listen 127.0.0.{i}:{port};" for i in range(2, 9))}
    location = /bench/user {{
      if ($who = 0) {{ return 401 '{{"message":"Bad credentials"}}'; }}
      return 200 '{{"login":"bench"}}';
    }}
  }}
}}
"""
    os.makedirs(f"{work}/tmp", exist_ok=True)
    with open(f"{work}/nginx.conf", "w") as f: f.write(conf)
    proc = subprocess.Popen(["nginx", "-c", f"{work}/nginx.conf", "-p", work], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("nginx did not start: " + open(f"{work}/error.log").read())

def probe_file(work, hosts):
    d = f"{work}/probes"; os.makedirs(d, exist_ok=True)
    with open(f"{d}/bench.json", "w") as f:
        json.dump({"id": "bench", "title": "benchmark endpoint", "kinds": ["api_key"], "protocol": "http",
                   "allowed_hosts": hosts, "request": {"method": "GET", "path": "/bench/user"},
                   "auth": {"scheme": "bearer"}, "authenticated": [{"status": [200]}], "rejected": [{"status": [401]}],
                   "docs": "scripts/bench.py"}, f)
    return d

def inventory(path, n, targets):
    with open(path, "w") as f:
        f.write('{"credentials": [\n')
        for i in range(n):
            live = i % 2 == 0
            f.write(('' if i == 0 else ',\n') + json.dumps({
                "id": f"cred-{i}", "kind": "api_key", "state": "active" if live else "revoked", "owner": "bench",
                "secret": {"value": ("live-" if live else "dead-") + f"{i:08d}abcdefabcdef"},
                "probe": "bench", "target": targets[i % len(targets)]}))
        f.write("\n]}\n")

def run_verify(args):
    """Runs revenant verify; returns (wall seconds, peak RSS in KB, seconds of the probe phase)."""
    t0 = time.monotonic()
    p = subprocess.Popen([BIN, "verify", "--no-progress", "--fail-on", "never"] + args, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, env=dict(os.environ, REVENANT_TIMING="1"))
    err = p.stderr.read()
    # wait4 gives this child's own peak RSS (ru_maxrss, KB).
    _, status, usage = os.wait4(p.pid, 0)
    took = time.monotonic() - t0
    code = os.waitstatus_to_exitcode(status)
    p.returncode = code
    if code != 0:
        sys.exit(f"revenant verify exited {code}: {err[-2000:]}")
    probe = float(re.search(r"timing: probe ([\d.]+) seconds", err).group(1))
    return took, usage.ru_maxrss, probe

def main():
    work = tempfile.mkdtemp(prefix="revenant-bench-")
    port = free_port()
    nginx = start_nginx(work, port)
    try:
        base = f"http://127.0.0.1:{port}"
        # 1. wrk baseline
        out = subprocess.run(["wrk", "-t1", "-c32", "-d5s", "-H", "Authorization: Bearer live-wrk", base + "/bench/user"],
                             capture_output=True, text=True).stdout
        wrk_rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        # 1b. the same library from C: curl's own parallel transfers (libcurl multi, 32 at once)
        urls = f"{work}/urls.cfg"
        with open(urls, "w") as f:
            for _ in range(N_MAIN):
                f.write(f'url = "{base}/bench/user"\noutput = "/dev/null"\n')
        t0 = time.monotonic()
        subprocess.run(["curl", "-s", "--parallel", "--parallel-max", "32", "-H", "Authorization: Bearer live-curl", "-K", urls],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        curl_rps = N_MAIN / (time.monotonic() - t0)
        # 2. revenant on N_MAIN credentials
        probes = probe_file(work, [f"127.0.0.{i}" for i in range(1, 9)])
        cfg = f"{work}/config.json"
        with open(cfg, "w") as f:
            json.dump({"concurrency": 32, "per_host": {"max_in_flight": 32}, "timeout_seconds": 10}, f)
        inv = f"{work}/inv-main.json"; inventory(inv, N_MAIN, [base])
        took, _, probe_phase = run_verify(["--inventory", inv, "--probes", probes, "--config", cfg, "--format", "json", "--output", f"{work}/report.json"])
        report = json.load(open(f"{work}/report.json"))
        codes = report["summary"]["by_code"]
        assert codes.get("revocation_verified", 0) == N_MAIN // 2 and codes.get("ok", 0) == N_MAIN // 2, codes
        probes_s = N_MAIN / took
        phase_s = N_MAIN / probe_phase
        ratio = probes_s / wrk_rps
        print(f"wrk baseline:            {wrk_rps:,.0f} requests/s (1 thread, 32 connections, 5 s)")
        print(f"revenant verify:         {N_MAIN:,} credentials in {took:.2f} s = {probes_s:,.0f} probes/s end to end "
              f"(parse, plan, controls, probes, classify, JSON report); probe phase alone {probe_phase:.2f} s = {phase_s:,.0f} probes/s")
        print(f"ratio revenant / wrk:    {ratio:.2f} end to end, {phase_s / wrk_rps:.2f} probe phase   (floor 0.33, goal 0.5) "
              f"{'PASS' if ratio >= 0.33 else 'BELOW FLOOR'}")
        print(f"curl --parallel (libcurl from C, 32 at once, same endpoint): {curl_rps:,.0f} requests/s; "
              f"revenant probe phase / curl = {phase_s / curl_rps:.2f}, end to end / curl = {probes_s / curl_rps:.2f}")
        # 3. peak RSS on N_RSS credentials
        inv = f"{work}/inv-rss.json"; inventory(inv, N_RSS, [base])
        took, rss_kb, _ = run_verify(["--inventory", inv, "--probes", probes, "--config", cfg, "--format", "json", "--output", f"{work}/report-rss.json"])
        print(f"peak RSS:                {rss_kb / 1024:.0f} MB for {N_RSS:,} credentials ({took:.1f} s; limit 200 MB) {'PASS' if rss_kb / 1024 <= 200 else 'OVER LIMIT'}")
        # 4. 8 rate-limited hosts
        targets = [f"http://127.0.0.{i}:{port}" for i in range(1, 9)]
        inv = f"{work}/inv-rate.json"; inventory(inv, PER_HOST * 8, targets)
        with open(cfg, "w") as f:
            json.dump({"concurrency": 64, "per_host": {"max_in_flight": 8, "requests_per_second": RATE}}, f)
        took, _, _ = run_verify(["--inventory", inv, "--probes", probes, "--config", cfg, "--format", "json", "--output", f"{work}/report-rate.json"])
        # Each host also gets one negative control first: PER_HOST + 1 starts spaced 1/RATE apart.
        ideal = PER_HOST / RATE
        print(f"8 hosts at {RATE}/s each:   {PER_HOST * 8} credentials in {took:.2f} s; ideal {ideal:.2f} s; ratio {took / ideal:.3f} (limit 1.15) {'PASS' if took / ideal <= 1.15 else 'OVER LIMIT'}")
    finally:
        nginx.terminate()
        try: nginx.wait(timeout=5)
        except subprocess.TimeoutExpired: nginx.kill()
        shutil.rmtree(work, ignore_errors=True)

if __name__ == "__main__":
    main()

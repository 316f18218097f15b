#!/usr/bin/env python3
"""revenant benchmarks (the probe engine). Everything runs on loopback and stops by itself.

Measures, in one run, against one nginx (1 worker) answering 200 for `Bearer live-*` and 401 otherwise:
  1. wrk (1 thread, 32 connections) on the endpoint the probes hit: requests/s (the baseline);
     for scale, libcurl driven from C on the same endpoint: the least a libcurl client does
     (scripts/bench-libcurl.c, compiled here; one loop, and two loops on two threads) and `curl --parallel`;
  2. `revenant verify` on 20,000 credentials (half live, half dead): probes/s, and the ratio to wrk;
     for 1 and 2, the CPU time each client and the nginx worker spent per request: the cores are
     shared, so this says where the time goes and what the floor asks of a libcurl client;
  3. peak RSS of `revenant verify` on a 100,000-credential inventory;
  4. 8 hosts (127.0.0.1-8), each limited to R requests/s: total time vs max over hosts of (credentials on host / R).
Usage: scripts/bench.py BINARY [--quick]
       scripts/bench.py BINARY --scale N    (only 3, on N credentials: peak RSS and time per phase, against the 500 MB goal)
       scripts/bench.py BINARY --same-tokens R [OTHER_BINARY]   (only 2b, R rounds; with OTHER_BINARY the two alternate,
                                            each right after its own C loop run: a before/after on a shared machine)
"""
import json, os, re, shutil, socket, statistics, subprocess, sys, tempfile, time

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/revenant")
QUICK = "--quick" in sys.argv
N_MAIN = 2000 if QUICK else 20000
N_RSS = 10000 if QUICK else 100000
RATE = 40            # requests/s per host in the rate-limit test
PER_HOST = 40 if QUICK else 120
SCALE = int(sys.argv[sys.argv.index("--scale") + 1]) if "--scale" in sys.argv else None
SAME_TOKENS = sys.argv[sys.argv.index("--same-tokens") + 1:] if "--same-tokens" in sys.argv else None
GOAL_MB = 500        # peak RSS goal of a 1,000,000-credential run

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

def token(i):
    """Credential i's secret: even ones live, odd ones dead."""
    return ("live-" if i % 2 == 0 else "dead-") + f"{i:08d}abcdefabcdef"

def inventory(path, n, targets):
    with open(path, "w") as f:
        f.write('{"credentials": [\n')
        for i in range(n):
            live = i % 2 == 0
            f.write(('' if i == 0 else ',\n') + json.dumps({
                "id": f"cred-{i}", "kind": "api_key", "state": "active" if live else "revoked", "owner": "bench",
                "secret": {"value": token(i)},
                "probe": "bench", "target": targets[i % len(targets)]}))
        f.write("\n]}\n")

def cpu_seconds(pid):
    """User + system CPU seconds a process has used so far (/proc/PID/stat)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

class Run:
    """Runs one client to its end: wall seconds, its own CPU seconds and peak RSS (wait4), the
    nginx worker's CPU seconds meanwhile, and its output (files, so no pipe can fill up)."""
    def __init__(self, cmd, nginx_worker, env=None):
        before = cpu_seconds(nginx_worker)
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            t0 = time.monotonic()
            p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
            _, status, usage = os.wait4(p.pid, 0)
            self.wall = time.monotonic() - t0
            p.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0); err.seek(0)
            self.out, self.err = out.read(), err.read()
        self.code = p.returncode
        self.cpu = usage.ru_utime + usage.ru_stime
        self.switches = (usage.ru_nvcsw, usage.ru_nivcsw)
        self.rss_kb = usage.ru_maxrss
        self.nginx = cpu_seconds(nginx_worker) - before
        if self.code != 0:
            sys.exit(f"{cmd[0]} exited {self.code}: {self.err[-2000:]}")

    def per_request(self, n, unit="request"):
        """CPU microseconds per request (or per `unit`): the client's and nginx's."""
        return f"client {self.cpu / n * 1e6:.0f} µs + nginx {self.nginx / n * 1e6:.0f} µs CPU per {unit}"

def run_verify(args, nginx_worker, binary=None):
    """Runs revenant verify; returns the Run and its phases' seconds (load, plan, probe, report);
    each phase's CPU seconds (every thread) are in run.phase_cpu."""
    run = Run([binary or BIN, "verify", "--no-progress", "--fail-on", "never"] + args, nginx_worker, env=dict(os.environ, REVENANT_TIMING="1"))
    phases = {name: float(sec) for name, sec in re.findall(r"timing: (\w+) ([\d.]+) seconds", run.err)}
    run.phase_cpu = {name: float(sec) for name, sec in re.findall(r"timing: (\w+) .*CPU: ([\d.]+) s", run.err)}
    run.phase_switches = {name: (int(v), int(i)) for name, v, i in re.findall(r"timing: (\w+) .*switches: (\d+) voluntary, (\d+) involuntary", run.err)}
    return run, phases

def scale_run(work, base, worker):
    """--scale N: one verify of N credentials (JSON inventory and report): its peak RSS, time and
    each phase's time and peak RSS so far (REVENANT_TIMING), against the goal."""
    probes = probe_file(work, ["127.0.0.1"])
    cfg = f"{work}/config.json"
    with open(cfg, "w") as f:
        json.dump({"concurrency": 32, "per_host": {"max_in_flight": 32}, "timeout_seconds": 10}, f)
    inv = f"{work}/inv-scale.json"; inventory(inv, SCALE, [base])
    out = f"{work}/report-scale.json"
    run, phases = run_verify(["--inventory", inv, "--probes", probes, "--config", cfg, "--format", "json", "--output", out], worker)
    peaks = dict(re.findall(r"timing: (\w+) [\d.]+ seconds.*VmHWM:\s*(\d+) kB", run.err))
    mb = run.rss_kb / 1024
    for line in run.err.splitlines():
        if line.startswith("timing:"): print("  " + line)
    print(f"inventory:               {SCALE:,} credentials, {os.path.getsize(inv) / 1e6:,.0f} MB of JSON; report {os.path.getsize(out) / 1e6:,.0f} MB")
    print(f"phases:                  " + ", ".join(f"{k} {v:.2f} s (peak {int(peaks[k]) / 1024:.0f} MB)" if k in peaks else f"{k} {v:.2f} s"
                                           for k, v in phases.items()))
    print(f"peak RSS:                {mb:.0f} MB for {SCALE:,} credentials in {run.wall:.1f} s ({run.cpu:.1f} s CPU); "
          f"{mb / GOAL_MB:.2f} of the {GOAL_MB} MB goal {'PASS' if mb <= GOAL_MB else 'OVER GOAL'}")

def user_agent():
    """The User-Agent line revenant's HTTP probes send (ProbeRequestBuilder.userAgent)."""
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../Sources/RevenantProbes/ProbeRequestBuilder.swift")
    return re.search(r'static let userAgent = "([^"]+)"', open(source).read()).group(1)

def same_tokens(work, base, worker, loop_bin, probes, inv, binary=None):
    """2b. The same N_MAIN tokens, 64 in flight: the C loop building each request's header list from its
    token (one thread), then revenant (`binary`, else BIN) with a concurrency of 64, back to back. The C
    loop runs twice: with the Authorization line alone, and with revenant's request lines (its
    User-Agent, then Authorization): the same GETs, byte for byte. The ratios are to the second."""
    tokens = f"{work}/tokens.txt"
    if not os.path.exists(tokens):
        with open(tokens, "w") as f:
            f.writelines(token(i) + "\n" for i in range(N_MAIN))
    c_plain = Run([loop_bin, base + "/bench/user", str(N_MAIN), "64", "Authorization: Bearer ", "1", tokens], worker)
    c_tokens = Run([loop_bin, base + "/bench/user", str(N_MAIN), "64", f"User-Agent: {user_agent()}\nAuthorization: Bearer ", "1", tokens], worker)
    cfg64 = f"{work}/config-64.json"
    with open(cfg64, "w") as f:
        json.dump({"concurrency": 64, "per_host": {"max_in_flight": 64}, "timeout_seconds": 10}, f)
    rev64, phases64 = run_verify(["--inventory", inv, "--probes", probes, "--config", cfg64, "--format", "json", "--output", f"{work}/report-64.json"],
                                 worker, binary)
    print(f"same tokens, 64 at once: libcurl from C {N_MAIN / c_tokens.wall:,.0f} requests/s with revenant's request lines "
          f"({c_tokens.per_request(N_MAIN)}), {N_MAIN / c_plain.wall:,.0f}/s with Authorization alone; "
          f"revenant probe phase {N_MAIN / phases64['probe']:,.0f} probes/s ({rev64.phase_cpu.get('probe', 0) / N_MAIN * 1e6:.0f} µs CPU "
          f"per credential), end to end {N_MAIN / rev64.wall:,.0f}/s; ratio {c_tokens.wall / phases64['probe']:.2f} probe phase, "
          f"{c_tokens.wall / rev64.wall:.2f} end to end ({c_plain.wall / phases64['probe']:.2f} and {c_plain.wall / rev64.wall:.2f} "
          f"to Authorization alone; goal 0.8); load average {os.getloadavg()[0]:.1f}")
    outside = {k: v for k, v in phases64.items() if k != "probe"}
    print(f"  outside the probe phase: " + ", ".join(f"{k} {v:.3f} s" for k, v in outside.items())
          + f", start-up and exit {rev64.wall - sum(phases64.values()):.3f} s; the C loop's whole run {c_tokens.wall:.3f} s")
    loop = re.search(r"curl loop thread CPU: ([\d.]+) s", rev64.err)
    loop_cpu = float(loop.group(1)) if loop else float("nan")
    # The CPU the whole run asks of the machine's cores, nginx's included, is a floor under its wall
    # time however well the work were spread; the curl loop's CPU plus the phases before and after
    # the probes is one along the path they take today. Either floor caps the end-to-end ratio.
    cores = os.cpu_count()
    spread = (rev64.cpu + rev64.nginx) / cores
    path = loop_cpu + sum(v for k, v in phases64.items() if k != "probe")
    print(f"  CPU of the whole run:  revenant {rev64.cpu:.2f} s (every thread; the curl loop's {loop_cpu:.2f} s of it) + nginx "
          f"{rev64.nginx:.2f} s: at least {spread:.2f} s of wall on {cores} cores even if spread perfectly, {path:.2f} s along the "
          f"curl loop and the phases before and after it; so at most {c_tokens.wall / max(spread, path):.2f} end to end with this "
          f"much work (the C loop: {c_tokens.cpu:.2f} s + nginx {c_tokens.nginx:.2f} s)")
    print(f"  curl loop thread:      {loop_cpu / N_MAIN * 1e6:.0f} µs CPU per credential (the thread every transfer waits on); "
          f"the C loop {c_tokens.cpu / N_MAIN * 1e6:.0f} µs per request")
    v, i = rev64.phase_switches.get("probe", (0, 0))
    print(f"  context switches:      libcurl from C {c_tokens.switches[0]:,} voluntary, {c_tokens.switches[1]:,} involuntary (the whole process); "
          f"revenant's probe phase {v:,} voluntary, {i:,} involuntary (every thread; involuntary ones come from the load)")
    return (c_tokens.wall / phases64["probe"], c_tokens.wall / rev64.wall, c_tokens.cpu / loop_cpu,
            c_plain.wall / phases64["probe"], c_plain.wall / rev64.wall)

def compile_c_loop(work):
    cc = shutil.which("clang") or shutil.which("cc")
    loop_bin = f"{work}/bench-libcurl"
    subprocess.run([cc, "-O2", "-o", loop_bin, os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench-libcurl.c"), "-lcurl", "-lpthread"], check=True)
    return loop_bin

def nginx_worker_pid(master):
    """The one worker of the nginx master `master` (worker_processes 1)."""
    for _ in range(50):
        found = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
        if found:
            return int(found[0])
        time.sleep(0.05)
    sys.exit("nginx started no worker")

def main():
    work = tempfile.mkdtemp(prefix="revenant-bench-")
    port = free_port()
    nginx = start_nginx(work, port)
    try:
        base = f"http://127.0.0.1:{port}"
        worker = nginx_worker_pid(nginx.pid)
        if SCALE:
            return scale_run(work, base, worker)
        if SAME_TOKENS is not None:
            rounds, others = int(SAME_TOKENS[0]) if SAME_TOKENS else 1, [os.path.abspath(b) for b in SAME_TOKENS[1:2]]
            loop_bin = compile_c_loop(work)
            probes = probe_file(work, ["127.0.0.1"])
            inv = f"{work}/inv-main.json"; inventory(inv, N_MAIN, [base])
            ratios = {b: [] for b in [BIN] + others}
            for r in range(rounds):
                for binary in [BIN] + others:
                    print(f"round {r + 1}, {binary}:")
                    ratios[binary].append(same_tokens(work, base, worker, loop_bin, probes, inv, binary))
            # One round says little on a shared machine (the C loop itself moves by half between
            # runs): the medians of the rounds are the figures to compare.
            for binary, got in ratios.items():
                threads = [r[2] for r in got if r[2] == r[2]]  # a binary before 2026-12-07 does not print its loop thread's CPU
                median = lambda k: statistics.median(r[k] for r in got)
                print(f"{binary}: median of {len(got)} rounds: probe phase / C loop {median(0):.2f}, end to end {median(1):.2f} "
                      f"(to the C loop sending Authorization alone: {median(3):.2f} and {median(4):.2f}), C loop CPU / curl loop thread CPU "
                      + (f"{statistics.median(threads):.2f}" if threads else "n/a"))
            return
        cores = os.cpu_count()
        # 1. wrk baseline
        wrk = Run(["wrk", "-t1", "-c32", "-d5s", "-H", "Authorization: Bearer live-wrk", base + "/bench/user"], worker)
        wrk_rps = float(re.search(r"Requests/sec:\s+([\d.]+)", wrk.out).group(1))
        wrk_n = int(re.search(r"(\d+) requests in", wrk.out).group(1))
        # 1b. the same library from C: a minimal curl_multi loop, and curl's own parallel transfers (32 at once)
        loop_bin = compile_c_loop(work)
        c_loop = Run([loop_bin, base + "/bench/user", str(N_MAIN), "32", "Authorization: Bearer live-c"], worker)
        # Two loops on two threads (16 at once each): on 2 cores this hides each loop's waits.
        c_loops2 = Run([loop_bin, base + "/bench/user", str(N_MAIN), "32", "Authorization: Bearer live-c", "2"], worker)
        fastest_c = min(c_loop, c_loops2, key=lambda r: r.wall)
        urls = f"{work}/urls.cfg"
        with open(urls, "w") as f:
            for _ in range(N_MAIN):
                f.write(f'url = "{base}/bench/user"\noutput = "/dev/null"\n')
        curl = Run(["curl", "-s", "--parallel", "--parallel-max", "32", "-H", "Authorization: Bearer live-curl", "-K", urls], worker)
        # 2. revenant on N_MAIN credentials
        probes = probe_file(work, [f"127.0.0.{i}" for i in range(1, 9)])
        cfg = f"{work}/config.json"
        with open(cfg, "w") as f:
            json.dump({"concurrency": 32, "per_host": {"max_in_flight": 32}, "timeout_seconds": 10}, f)
        inv = f"{work}/inv-main.json"; inventory(inv, N_MAIN, [base])
        rev, phases = run_verify(["--inventory", inv, "--probes", probes, "--config", cfg, "--format", "json", "--output", f"{work}/report.json"], worker)
        report = json.load(open(f"{work}/report.json"))
        codes = report["summary"]["by_code"]
        assert codes.get("revocation_verified", 0) == N_MAIN // 2 and codes.get("ok", 0) == N_MAIN // 2, codes
        probes_s = N_MAIN / rev.wall
        phase_s = N_MAIN / phases["probe"]
        ratio = probes_s / wrk_rps
        print(f"wrk baseline:            {wrk_rps:,.0f} requests/s (1 thread, 32 connections, 5 s); {wrk.per_request(wrk_n)}")
        print(f"libcurl from C, minimal: {N_MAIN / c_loop.wall:,.0f} requests/s (scripts/bench-libcurl.c, 32 at once); {c_loop.per_request(N_MAIN)}")
        print(f"  the same, 2 threads:   {N_MAIN / c_loops2.wall:,.0f} requests/s (a curl_multi loop each, 16 at once each); {c_loops2.per_request(N_MAIN)}")
        print(f"curl --parallel:         {N_MAIN / curl.wall:,.0f} requests/s (32 at once); {curl.per_request(N_MAIN)}")
        print(f"revenant verify:         {N_MAIN:,} credentials in {rev.wall:.2f} s = {probes_s:,.0f} probes/s end to end "
              f"(parse, plan, controls, probes, classify, JSON report); probe phase alone {phases['probe']:.2f} s = {phase_s:,.0f} probes/s; "
              f"{rev.per_request(N_MAIN, 'credential')}")
        print(f"  phases (s):            " + ", ".join(f"{k} {v:.2f}" for k, v in phases.items()))
        if "probe" in rev.phase_cpu:
            print(f"  probe phase CPU:       revenant {rev.phase_cpu['probe'] / N_MAIN * 1e6:.0f} µs per credential (every thread), "
                  f"the minimal libcurl loop {fastest_c.cpu / N_MAIN * 1e6:.0f} µs per request; load average {os.getloadavg()[0]:.1f}")
        print(f"ratio revenant / wrk:    {ratio:.2f} end to end, {phase_s / wrk_rps:.2f} probe phase   (floor 0.33, goal 0.5) "
              f"{'PASS' if ratio >= 0.33 else 'BELOW FLOOR'}")
        print(f"ratio revenant / libcurl from C (faster of 1 and 2 threads): {phase_s * fastest_c.wall / N_MAIN:.2f} probe phase, "
              f"{probes_s * fastest_c.wall / N_MAIN:.2f} end to end")
        # What the floor asks: 0.33 × wrk credentials/s on `cores` cores shared with nginx.
        need = 0.33 * wrk_rps
        budget = cores / need * 1e6 - rev.nginx / N_MAIN * 1e6
        print(f"CPU budget of the floor: {need:,.0f} credentials/s on {cores} cores shared with nginx leaves at most {budget:.0f} µs of CPU "
              f"per credential for everything revenant does, used perfectly in parallel; libcurl's minimal loop alone uses "
              f"{min(c_loop.cpu, c_loops2.cpu) / N_MAIN * 1e6:.0f} µs, revenant {rev.cpu / N_MAIN * 1e6:.0f} µs")
        # What the floor leaves in time: the whole run must fit in N / (0.33 × wrk) seconds, of which a
        # libcurl client needs at least the minimal loop's time (the faster of 1 and 2 threads) for the
        # requests alone; the inventory is read, checked and planned before anything is sent.
        allowed = N_MAIN / need
        others = sum(v for k, v in phases.items() if k != "probe")
        print(f"time budget of the floor: {N_MAIN:,} credentials in at most {allowed:.2f} s end to end; the minimal libcurl client alone "
              f"takes {fastest_c.wall:.2f} s ({fastest_c.wall / allowed:.0%}) for the requests, leaving {max(0.0, allowed - fastest_c.wall):.2f} s "
              f"to read, check and plan the inventory (before anything is sent) and to classify and write the report, with no time for "
              f"any per-request work of revenant's own; revenant spends {others:.2f} s on those phases. With its probe phase as fast as "
              f"that client, revenant would reach {N_MAIN / (others + fastest_c.wall) / wrk_rps:.2f} × wrk end to end")
        # 2b. The same tokens, 64 in flight.
        same_tokens(work, base, worker, loop_bin, probes, f"{work}/inv-main.json")
        # 3. peak RSS on N_RSS credentials
        inv = f"{work}/inv-rss.json"; inventory(inv, N_RSS, [base])
        rss, _ = run_verify(["--inventory", inv, "--probes", probes, "--config", cfg, "--format", "json", "--output", f"{work}/report-rss.json"], worker)
        rss_mb = rss.rss_kb / 1024
        print(f"peak RSS:                {rss_mb:.0f} MB for {N_RSS:,} credentials ({rss.wall:.1f} s; limit 200 MB) {'PASS' if rss_mb <= 200 else 'OVER LIMIT'}")
        # 4. 8 rate-limited hosts
        targets = [f"http://127.0.0.{i}:{port}" for i in range(1, 9)]
        inv = f"{work}/inv-rate.json"; inventory(inv, PER_HOST * 8, targets)
        with open(cfg, "w") as f:
            json.dump({"concurrency": 64, "per_host": {"max_in_flight": 8, "requests_per_second": RATE}}, f)
        rate, _ = run_verify(["--inventory", inv, "--probes", probes, "--config", cfg, "--format", "json", "--output", f"{work}/report-rate.json"], worker)
        took = rate.wall
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

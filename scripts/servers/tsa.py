#!/usr/bin/env python3
"""An RFC 3161 time-stamping authority over HTTP for revenant's tests: every answer is made by
`openssl ts -reply` (the TSA is OpenSSL's; this only carries its queries and replies over HTTP).

POST / with Content-Type application/timestamp-query -> application/timestamp-reply.
GET /health -> 200. `--refuse FILE`: while FILE exists, answers with a rejection (PKIStatus 2,
made by `openssl ts -reply` from a config whose policy the query does not name) instead.
"""
import argparse, http.server, os, subprocess, tempfile

MAX_QUERY = 16 << 10


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--refuse", required=True)
    args = ap.parse_args()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/health" else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length <= 0 or length > MAX_QUERY or self.headers.get("Content-Type") != "application/timestamp-query":
                self.send_response(400)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            query = self.rfile.read(length)
            with tempfile.TemporaryDirectory() as work:
                q, r = os.path.join(work, "q.tsq"), os.path.join(work, "r.tsr")
                with open(q, "wb") as f:
                    f.write(query)
                section = "refusing_tsa" if os.path.exists(args.refuse) else "tsa_config1"
                done = subprocess.run(["openssl", "ts", "-reply", "-config", args.config, "-section", section,
                                       "-queryfile", q, "-out", r], capture_output=True)
                if done.returncode != 0 or not os.path.exists(r):
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with open(r, "rb") as f:
                    reply = f.read()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, fmt, *a):
            print(fmt % a, flush=True)

    http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()

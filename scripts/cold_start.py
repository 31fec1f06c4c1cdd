#!/usr/bin/env python3
"""Cold start of each release bootstrap against a hello-world lambda_http binary of the same profile.

Each binary runs under a minimal Lambda Runtime API served here (the same three calls Lambda's own
answers: next invocation, response, init error). For each run it measures
- init: process start -> the binary's first `GET .../invocation/next` (what Lambda bills as Init);
- first invoke: that request answered with an event -> the binary's response.
AWS calls go to moto through a forwarder that records them, so the script also reports which AWS calls a
function makes during init (the goal: none but the ingest function's secret fetch).

Prints, per function, the median over --runs runs and the ratio to hello world. Needs MOTO_ENDPOINT (run it
through scripts/with-moto.sh; `make cold-start` does). Usage: cold_start.py [--runs N] [--skip-build]"""
import argparse
import hashlib
import hmac
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "whsec_cold_start"
RELEASE = ROOT / "target" / "release"
FUNCTIONS = ["ingest", "processor", "redrive"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """What one run saw, with monotonic times (seconds)."""

    def __init__(self, event):
        self.event = event
        self.lock = threading.Lock()
        self.first_next = None
        self.responded = None
        self.response_body = None
        self.init_error = None
        self.aws_calls = []  # (time, target)
        self.delivered = False


def runtime_api(recorder):
    class Handler(BaseHTTPRequestHandler):
        # Headers and body go out in separate writes: without this, Nagle and delayed ACKs add 40 ms.
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def do_GET(self):
            if not self.path.endswith("/invocation/next"):
                self.send_error(404)
                return
            with recorder.lock:
                if recorder.first_next is None:
                    recorder.first_next = time.monotonic()
                first = not recorder.delivered
                recorder.delivered = True
            if not first:
                time.sleep(30)  # one invocation per run; the process is killed before this returns
                return
            body = json.dumps(recorder.event).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Lambda-Runtime-Aws-Request-Id", "cold-start-1")
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30_000))
            self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                             "arn:aws:lambda:us-east-1:123456789012:function:cold-start")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length)
            with recorder.lock:
                if self.path.endswith("/response"):
                    recorder.responded = time.monotonic()
                    recorder.response_body = data
                elif "/error" in self.path:
                    recorder.init_error = data
                    recorder.responded = time.monotonic()
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


def aws_forwarder(recorder, moto):
    target = urllib.parse.urlparse(moto)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def _forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length)
            name = self.headers.get("X-Amz-Target") or self.path
            with recorder.lock:
                recorder.aws_calls.append((time.monotonic(), name))
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            conn.request(self.command, self.path, body=data, headers=headers)
            answer = conn.getresponse()
            payload = answer.read()
            self.send_response(answer.status)
            for k, v in answer.getheaders():
                if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            conn.close()

        do_GET = do_POST = do_PUT = do_DELETE = _forward

    return Handler


def serve(handler):
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def signed_http_event():
    """An API Gateway v2 request signed now (release builds ignore the debug fixed clock)."""
    fixture = json.loads((ROOT / "events/http/queue_entered_scheme_a_200.json").read_text())
    body = fixture["body"].encode()
    now = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), now.encode() + b"." + body, hashlib.sha256).hexdigest()
    fixture["headers"]["x-fanfare-signature"] = f"t={now},v1={digest}"
    return fixture


def sqs_event():
    return json.loads((ROOT / "events/sqs/duplicate_delivery_batch.json").read_text())


def run_once(binary, event, env, moto, overrides=None):
    recorder = Recorder(event)
    api = serve(runtime_api(recorder))
    forwarder = serve(aws_forwarder(recorder, moto))
    run_env = dict(env)
    for key, value in (overrides or {}).items():
        if value is None:
            run_env.pop(key, None)
        else:
            run_env[key] = value
    run_env.update({
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{api.server_address[1]}",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{forwarder.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": binary.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_LOG_STREAM_NAME": "cold-start",
        "AWS_LAMBDA_LOG_GROUP_NAME": "cold-start",
        "RUST_LOG": "warn",
    })
    started = time.monotonic()
    child = subprocess.Popen([str(binary)], env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = started + 30
    while time.monotonic() < deadline and recorder.responded is None and child.poll() is None:
        time.sleep(0.0005)
    child.kill()
    _, stderr = child.communicate()
    for server in (api, forwarder):
        server.shutdown()
        server.server_close()
    if recorder.responded is None or recorder.first_next is None:
        raise SystemExit(f"cold-start: {binary.name} did not answer; stderr:\n{stderr.decode(errors='replace')}")
    if recorder.init_error is not None:
        raise SystemExit(f"cold-start: {binary.name} failed: {recorder.init_error!r}")
    init_calls = [name for t, name in recorder.aws_calls if t < recorder.first_next]
    return {
        "init_ms": (recorder.first_next - started) * 1000,
        "invoke_ms": (recorder.responded - recorder.first_next) * 1000,
        "init_calls": init_calls,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--skip-build", action="store_true")
    # rustls-native-certs reads the system bundle and every file of the certificate directory. Debian's
    # /etc/ssl/certs holds ~290 per-certificate links beside the bundle; Lambda's AL2023 keeps the
    # bundle under /etc/pki/tls/certs. With this, only the bundle is read (SSL_CERT_FILE).
    parser.add_argument("--release-dir", default=str(RELEASE),
                        help="where the release binaries are (with --skip-build: another profile's build)")
    parser.add_argument("--ssl-cert-file", help="pass SSL_CERT_FILE to every binary")
    args = parser.parse_args()
    moto = os.environ.get("MOTO_ENDPOINT")
    if not moto:
        raise SystemExit("cold-start: MOTO_ENDPOINT is not set (run through scripts/with-moto.sh)")
    if not args.skip_build:
        subprocess.run(["cargo", "build", "--release", "-p", "ingest", "-p", "processor", "-p", "redrive",
                        "--bins", "--example", "hello_world"], cwd=ROOT, check=True)

    with tempfile.TemporaryDirectory() as tmp:
        env_file = Path(tmp) / "functions.env"
        subprocess.run([sys.executable, str(ROOT / "scripts/dev_resources.py"), str(env_file), moto, SECRET],
                       cwd=ROOT, check=True)
        env = {"PATH": os.environ.get("PATH", "")}
        if args.ssl_cert_file:
            env["SSL_CERT_FILE"] = args.ssl_cert_file
        for line in env_file.read_text().splitlines():
            key, _, value = line.partition("=")
            env[key] = value

    release = Path(args.release_dir)
    cases = [
        ("hello_world", release / "examples" / "hello_world", signed_http_event, None),
        ("ingest", release / "ingest", signed_http_event, None),
        # The same without the secret fetch: what init costs apart from that one round trip.
        ("ingest*", release / "ingest", signed_http_event,
         {"SIGNING_SECRET_ARN": None, "SIGNING_SECRETS": SECRET}),
        ("processor", release / "processor", sqs_event, None),
        ("redrive", release / "redrive", lambda: {"source": "cold-start"}, None),
    ]
    results = {}
    for name, binary, event, overrides in cases:
        runs = [run_once(binary, event(), env, moto, overrides) for _ in range(args.runs)]
        results[name] = {
            "init_ms": statistics.median(r["init_ms"] for r in runs),
            "invoke_ms": statistics.median(r["invoke_ms"] for r in runs),
            "init_calls": sorted({c for r in runs for c in r["init_calls"]}),
            "size_mb": binary.stat().st_size / 1e6,
        }

    base = results["hello_world"]
    print(f"cold start, release profile, median of {args.runs} runs (init: process start -> first "
          "/invocation/next; first invoke: event -> response; AWS calls go to moto)"
          + (f"; SSL_CERT_FILE={args.ssl_cert_file}" if args.ssl_cert_file else ""))
    print(f"{'binary':<12} {'size MB':>8} {'init ms':>8} {'x hello':>8} {'invoke ms':>10} {'x hello':>8}  AWS calls in init")
    for name, r in results.items():
        print(f"{name:<12} {r['size_mb']:>8.1f} {r['init_ms']:>8.2f} {r['init_ms'] / base['init_ms']:>8.2f} "
              f"{r['invoke_ms']:>10.2f} {r['invoke_ms'] / base['invoke_ms']:>8.2f}  {', '.join(r['init_calls']) or 'none'}")
    print("ingest* = ingest with the secret inline (SIGNING_SECRETS): init without its one allowed AWS call")
    unexpected = {n: r["init_calls"] for n, r in results.items()
                  if any(c != "secretsmanager.GetSecretValue" for c in r["init_calls"])}
    if unexpected:
        print(f"cold-start: unexpected AWS calls in init: {unexpected}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The one way the project starts moto: scripts/moto_serial.py on HOST:PORT, logging to LOG, waited for
until it answers. It fails loudly, and stops the server, when the server exits or does not answer within
TIMEOUT seconds (20 by default, MOTO_START_TIMEOUT).

As a module: `start(host, port, log_path)` returns (the server process, its endpoint).
As a script: `moto_launch.py HOST PORT LOG` prints the server's PID once it answers, and leaves it
running for the caller to stop; exit 1 with the reason otherwise."""
import os
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def start(host, port, log_path, timeout=None):
    timeout = float(timeout or os.environ.get("MOTO_START_TIMEOUT", "20"))
    log = open(log_path, "w")
    server = subprocess.Popen([sys.executable, os.path.join(HERE, "moto_serial.py"), host, str(port)],
                              stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://{host}:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
            return server, endpoint
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"moto exited at start (code {server.returncode}); see {log_path}")
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"moto did not answer on {endpoint} within {timeout:.0f} s; see {log_path}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit("usage: moto_launch.py HOST PORT LOG")
    process, _ = start(sys.argv[1], int(sys.argv[2]), sys.argv[3])
    print(process.pid)

#!/usr/bin/env python3
"""moto_server, one request at a time.

`moto_server` serves requests on threads, and its DynamoDB backend does not evaluate a condition and
apply the write atomically, so two concurrent conditional writes can both succeed: something real
DynamoDB never allows for one item. Serving requests one after the other restores that guarantee, which
the race tests rely on. Usage: moto_serial.py HOST PORT"""
import signal
import sys

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, app, threaded=False, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()

"""localstripe (the pinned Stripe emulator) served on 127.0.0.1 only.

localstripe's own `start()` binds every interface ("::") and reloads the state it pickled
in an earlier run unless told --from-scratch. This runs its aiohttp application, unchanged,
on a loopback socket and always from scratch (it still pickles to /tmp/localstripe.pickle
as it goes, which nothing here reads back).

    .venv/bin/python tools/localstripe_loopback.py PORT
"""

import socket
import sys

from aiohttp import web
from localstripe.server import app


def main() -> None:
    port = int(sys.argv[1])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    web.run_app(app, sock=sock, print=None, access_log=None)


if __name__ == "__main__":
    main()

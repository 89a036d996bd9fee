"""moto's server, answering one request at a time.

moto's TransactWriteItems is not isolated from concurrent requests (it writes the items that
pass before it knows another failed, and rolls back by restoring a table snapshot that can
undo a concurrent transaction), so under parallel bookings plain `moto_server` can lose or
resurrect writes. Real DynamoDB isolates transactions; serialising requests gives moto the
same guarantee, at the cost of throughput the tests do not need.

    python tools/localcloud/moto_serial.py PORT        # listens on 127.0.0.1 only
"""

import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

app = DomainDispatcherApplication(create_backend_app)
one_at_a_time = threading.Lock()


def serialised(environ, start_response):
    with one_at_a_time:
        # Drain the response inside the lock: the work happens while it is produced.
        return list(app(environ, start_response))


if __name__ == "__main__":
    run_simple("127.0.0.1", int(sys.argv[1]), serialised, threaded=True, request_handler=MotoRequestHandler)

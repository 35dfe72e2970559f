# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""python3 -m simulator --port 0 --key KEY --secret SECRET: serve a local Exoscale Partner API."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .state import CREATE_STATUSES, Store


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="python3 -m simulator", description="A local, strict simulator of the Exoscale Partner API."
    )
    parser.add_argument("--port", type=int, required=True, help="TCP port; 0 picks a free one")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--key", action="append", required=True, help="API key accepted; repeat together with --secret")
    parser.add_argument("--secret", action="append", required=True, help="the secret of the --key at the same position")
    parser.add_argument("--state", help="JSON file to persist organizations and metering across restarts")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds to wait before every API answer")
    parser.add_argument(
        "--create-status", choices=CREATE_STATUSES, default="active", help="status of newly created organizations"
    )
    parser.add_argument("--tls-cert", help="PEM certificate: serve HTTPS instead of HTTP (with --tls-key)")
    parser.add_argument("--tls-key", help="PEM private key of --tls-cert")
    parser.add_argument(
        "--clock-offset",
        type=float,
        default=0.0,
        help="seconds added to the server clock when checking signature expiry (simulates clock skew)",
    )
    parser.add_argument(
        "--seed-usage",
        type=int,
        default=0,
        metavar="MONTHS",
        help="serve realistic usage for the MONTHS months before the current one, for every organization",
    )
    arguments = parser.parse_args(argv)
    if bool(arguments.tls_cert) != bool(arguments.tls_key):
        parser.error("--tls-cert and --tls-key must be given together")
    if len(arguments.key) != len(arguments.secret):
        parser.error(
            "--key and --secret must be given in pairs (%d keys, %d secrets)"
            % (len(arguments.key), len(arguments.secret))
        )
    if arguments.latency < 0:
        parser.error("--latency must be >= 0")
    if not 0 <= arguments.seed_usage <= 120:
        parser.error("--seed-usage must be a number of months from 0 to 120")
    return arguments


def main(argv=None):
    arguments = parse_arguments(argv)
    try:
        store = Store(arguments.state, usage_history_months=arguments.seed_usage)
    except (OSError, ValueError, KeyError) as error:
        sys.stderr.write("cannot load the state file %s: %s\n" % (arguments.state, error))
        return 2
    # Imported late: openapi-core takes a second to import, argument and state errors should not wait for it.
    from .server import Simulator, SimulatorServer
    from .spec import BASE_PATH

    simulator = Simulator(
        dict(zip(arguments.key, arguments.secret)),
        store,
        latency=arguments.latency,
        create_status=arguments.create_status,
        clock_offset=arguments.clock_offset,
    )
    server = SimulatorServer(arguments.host, arguments.port, simulator)
    if arguments.tls_cert:
        server.use_tls(arguments.tls_cert, arguments.tls_key)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    serving = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="simulator", daemon=True
    )
    serving.start()
    sys.stdout.write("listening on %s%s\n" % (server.base_url, BASE_PATH))
    sys.stdout.flush()
    while not stop.wait(1.0):
        pass
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

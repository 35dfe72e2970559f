# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start and stop the Partner API simulator for integration targets (used by tasks/*.yml).

start [--timeout S] [--ttl S] -- SIMULATOR_ARGS
    Runs `python -m simulator --host 127.0.0.1 --port 0 SIMULATOR_ARGS` from the collection root
    (found by walking up from this file), detached in its own session under a small supervisor
    that stops it after --ttl seconds if nobody does. Waits for its "listening on URL" line and
    prints JSON: {"pid", "api_url", "admin_url", "log", "root"}. On failure prints the log and
    exits 1.
stop --pid PID [--log FILE]
    SIGTERM to the process group PID (SIGKILL after 10 s), removes the log, prints {"stopped"}.
"""

from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

LISTENING = re.compile(r"listening on (\S+)")
API_PATH = "/v1.alpha"


def find_collection_root():
    """The nearest ancestor holding galaxy.yml and simulator/__main__.py.

    ansible-test copies the target into <collection>/tests/output/.tmp/integration/<target>-*/,
    so walking up reaches the collection (or the repository) in every layout.
    """
    directory = os.path.dirname(os.path.abspath(__file__))
    while True:
        if os.path.isfile(os.path.join(directory, "galaxy.yml")) and os.path.isfile(
            os.path.join(directory, "simulator", "__main__.py")
        ):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            raise SystemExit(
                "simulator_ctl: no directory above %s holds galaxy.yml and simulator/__main__.py"
                % os.path.abspath(__file__)
            )
        directory = parent


def start(args):
    root = find_collection_root()
    handle, log_path = tempfile.mkstemp(prefix="partner-simulator-", suffix=".log")
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "supervise",
        "--ttl",
        str(args.ttl),
        "--",
        sys.executable,
        "-m",
        "simulator",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
    ] + args.simulator_args
    with os.fdopen(handle, "w") as log_file:
        process = subprocess.Popen(
            command,
            cwd=root,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    url = wait_for_url(process, log_path, args.timeout)
    if url is None:
        stop_group(process.pid)
        with open(log_path) as log_file:
            output = log_file.read()
        os.remove(log_path)
        code = process.poll()
        what = (
            "exited with code %s before printing" % code
            if code is not None
            else "did not print within %ss" % args.timeout
        )
        sys.stderr.write(
            "simulator_ctl: the simulator (python -m simulator in %s) %s 'listening on'. "
            "Its output:\n%s\n" % (root, what, output)
        )
        return 1
    base = url[: -len(API_PATH)] if url.endswith(API_PATH) else url
    print(
        json.dumps(
            {"pid": process.pid, "api_url": url, "admin_url": base + "/_simulator", "log": log_path, "root": root}
        )
    )
    return 0


def wait_for_url(process, log_path, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log_path) as log_file:
            match = LISTENING.search(log_file.read())
        if match:
            return match.group(1)
        if process.poll() is not None:
            return None
        time.sleep(0.05)
    return None


def supervise(args):
    """Run the simulator as a child; stop it on SIGTERM/SIGINT or after --ttl seconds."""
    child = subprocess.Popen(args.simulator_args)

    def forward(signum, _frame):
        child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    try:
        return child.wait(timeout=args.ttl)
    except subprocess.TimeoutExpired:
        sys.stdout.write("simulator_ctl: ttl of %ss reached, stopping the simulator\n" % args.ttl)
        sys.stdout.flush()
        child.terminate()
        return child.wait()


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not is_zombie(pgid)


def is_zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def stop_group(pgid):
    """SIGTERM the group, SIGKILL it after 10 s; True if something was running."""
    if not group_alive(pgid):
        return False
    os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while group_alive(pgid):
        if time.monotonic() > deadline:
            os.killpg(pgid, signal.SIGKILL)
            deadline = time.monotonic() + 10
        time.sleep(0.05)
    return True


def stop(args):
    stopped = stop_group(args.pid)
    if args.log and os.path.exists(args.log):
        os.remove(args.log)
    print(json.dumps({"stopped": stopped}))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command")
    start_parser = commands.add_parser("start")
    start_parser.add_argument("--timeout", type=float, default=60)
    start_parser.add_argument("--ttl", type=float, default=1800)
    start_parser.add_argument("simulator_args", nargs=argparse.REMAINDER)
    supervise_parser = commands.add_parser("supervise")
    supervise_parser.add_argument("--ttl", type=float, required=True)
    supervise_parser.add_argument("simulator_args", nargs=argparse.REMAINDER)
    stop_parser = commands.add_parser("stop")
    stop_parser.add_argument("--pid", type=int, required=True)
    stop_parser.add_argument("--log")
    args = parser.parse_args()
    if not args.command:
        parser.error("choose start, stop or supervise")
    if getattr(args, "simulator_args", None) and args.simulator_args[0] == "--":
        args.simulator_args = args.simulator_args[1:]
    return {"start": start, "supervise": supervise, "stop": stop}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())

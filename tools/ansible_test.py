# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run ansible-test (sanity, units, integration) on this collection, the way that works on these machines.

Usage: .venv/bin/python tools/ansible_test.py {sanity,units,integration,layout,clean} [extra ansible-test args]
(layout: only mirror the repository into the copy and print its path; clean: remove the copies)

What it does for ansible-test (the copy, the Pythons, the pip bootstrap): CONTRIBUTING.md, "How the
tooling copes with the machine".
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TREE_PREFIX = os.path.join(tempfile.gettempdir(), "exoscale-partner-" + hashlib.sha256(ROOT.encode()).hexdigest()[:10])


# The pip version each ansible-core line's ansible-test bootstraps into its --venv venvs (it looks for
# ~/.ansible/test/cache/get_pip_<version>.py); ansible-test's CLI does not say it.
ANSIBLE_TEST_PIP_BY_LINE = {"2.19": "24.2", "2.21": "25.2"}
PYTHON_CHOICES = re.compile(r"--python X\.Y\s+python version: (?P<versions>\d+\.\d+(?:, \d+\.\d+)*)")


def core_line() -> str:
    """ansible-core major.minor of this Python's venv ("none" without ansible-core: clean, bootstrap_venv.py)."""
    try:
        from ansible.release import __version__  # pylint: disable=import-outside-toplevel
    except ImportError:
        return "none"
    return ".".join(__version__.split(".")[:2])


def ansible_test_executable() -> str:
    return os.path.join(os.path.dirname(sys.executable), "ansible-test")


def supported_pythons() -> tuple[str, ...]:
    """The module Pythons this ansible-test accepts, read from its public CLI (`sanity --help`)."""
    result = subprocess.run(
        [ansible_test_executable(), "sanity", "--help"], capture_output=True, text=True, check=False
    )
    found = PYTHON_CHOICES.search(" ".join(result.stdout.split()))
    if result.returncode != 0 or not found:
        raise SystemExit(
            f"ansible_test.py: cannot read the supported Python versions from `ansible-test sanity --help` "
            f"(ansible-core {CORE_LINE}, exit {result.returncode}); its --python help no longer reads "
            f"'python version: X.Y, ...': update PYTHON_CHOICES in tools/ansible_test.py"
        )
    return tuple(found.group("versions").split(", "))


CORE_LINE = core_line()
# One tree per ansible-core line: ansible-test keeps its venvs and results in the copy's tests/output.
# PARTNER_TREE_NAME gives a user of layout_collection() a copy of its own (quality_gates.py: "gates").
TREE = f"{TREE_PREFIX}-{os.environ.get('PARTNER_TREE_NAME') or 'core' + CORE_LINE}"
COLLECTION_COPY = os.path.join(TREE, "ansible_collections", "exoscale", "partner")
PYTHON_LINKS = os.path.join(TREE, "pythons")
CONTROLLER_PYTHON = "%d.%d" % sys.version_info[:2]
# ansible-test's own scratch space inside the copy: kept between runs (it caches venvs there).
KEEP_IN_COPY = ("tests/output",)

GET_PIP_SHIM = '''"""Stand-in for ansible-test's get-pip bootstrap: installs pip from the wheel next to it.

Written by exoscale.partner tools/ansible_test.py: the host ansible-test downloads it from may be unreachable.
"""
import os
import runpy
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
WHEEL = os.path.join(HERE, "{wheel}")
ARGS = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
sys.path.insert(0, WHEEL)
sys.argv = ["pip", "install", "--find-links", HERE] + ARGS
runpy.run_module("pip", run_name="__main__", alter_sys=True)
'''


def log(message: str) -> None:
    print(f"ansible_test.py: {message}", flush=True)


# ---------------------------------------------------------------- collection layout


def source_files() -> list[str]:
    """Repository files to test: git-tracked plus untracked files that .gitignore does not exclude."""
    if not os.path.isdir(os.path.join(ROOT, ".git")) and not os.path.isfile(os.path.join(ROOT, ".git")):
        raise SystemExit(f"ansible_test.py: {ROOT} is not a git checkout; clone the repository to run the tests")
    output = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return sorted(name for name in output.split("\0") if name and os.path.isfile(os.path.join(ROOT, name)))


def layout_collection() -> str:
    """Mirror the source files into COLLECTION_COPY (copying only what changed) and return its path."""
    wanted = set(source_files())
    for name in wanted:
        source, target = os.path.join(ROOT, name), os.path.join(COLLECTION_COPY, name)
        if not same_file_content(source, target):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(source, target)
    remove_stale(wanted)
    return COLLECTION_COPY


def same_file_content(source: str, target: str) -> bool:
    try:
        a, b = os.stat(source), os.stat(target)
    except FileNotFoundError:
        return False
    return a.st_size == b.st_size and int(a.st_mtime) == int(b.st_mtime) and a.st_mode == b.st_mode


def remove_stale(wanted: set[str]) -> None:
    for directory, _subdirs, files in os.walk(COLLECTION_COPY, topdown=False):
        relative_dir = os.path.relpath(directory, COLLECTION_COPY)
        if any(relative_dir == keep or relative_dir.startswith(keep + os.sep) for keep in KEEP_IN_COPY):
            continue
        for name in files:
            relative = os.path.normpath(os.path.join(relative_dir, name))
            if relative not in wanted:
                os.remove(os.path.join(directory, name))
        if directory != COLLECTION_COPY and not os.listdir(directory):
            os.rmdir(directory)


# ---------------------------------------------------------------- interpreters


def runs(python: str) -> bool:
    try:
        return (
            subprocess.run([python, "-c", "import sys"], capture_output=True, timeout=30, check=False).returncode == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


def pyenv_roots() -> list[str]:
    roots = [os.environ.get("PYENV_ROOT", ""), os.path.expanduser("~/.pyenv")]
    if shutil.which("pyenv"):
        result = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False)
        roots.insert(0, result.stdout.strip())
    return [root for root in dict.fromkeys(roots) if root and os.path.isdir(os.path.join(root, "versions"))]


def find_interpreter(version: str) -> str | None:
    """A working pythonX.Y: from PATH if it runs (shims may not), else a pyenv version's real binary."""
    name = f"python{version}"
    if version == CONTROLLER_PYTHON:
        return sys.executable
    on_path = shutil.which(name, path=path_without(PYTHON_LINKS))
    if on_path and runs(on_path):
        return on_path
    for root in pyenv_roots():
        versions = os.path.join(root, "versions")
        for installed in sorted(os.listdir(versions), reverse=True):
            candidate = os.path.join(versions, installed, "bin", name)
            if os.path.exists(candidate) and runs(candidate):
                return candidate
    return None


def path_without(directory: str) -> str:
    return os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != directory)


def prepare_pythons(versions: tuple[str, ...]) -> tuple[list[str], list[str], dict[str, str]]:
    """Symlink each working interpreter into PYTHON_LINKS; return (found, missing, environment)."""
    shutil.rmtree(PYTHON_LINKS, ignore_errors=True)
    os.makedirs(PYTHON_LINKS)
    found, missing = [], []
    for version in versions:
        interpreter = find_interpreter(version)
        if interpreter:
            os.symlink(interpreter, os.path.join(PYTHON_LINKS, f"python{version}"))
            found.append(version)
        else:
            missing.append(version)
    # pyenv shims go: ansible-test would take a shim for a version that is not installed (or left
    # out by PARTNER_PYTHONS) as an interpreter and stop when it fails.
    shims = {os.path.join(root, "shims") for root in pyenv_roots()}
    kept = [p for p in path_without(PYTHON_LINKS).split(os.pathsep) if p.rstrip(os.sep) not in shims]
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), PYTHON_LINKS] + kept)
    return found, missing, env


# ---------------------------------------------------------------- pip bootstrap for --venv


def ensure_get_pip() -> None:
    """Put the pip bootstrap script ansible-test --venv wants in its cache: one installing pip's PyPI wheel."""
    pip = ANSIBLE_TEST_PIP_BY_LINE.get(CORE_LINE)
    if pip is None:
        raise SystemExit(
            f"ansible_test.py: ansible-core {CORE_LINE} is not in ANSIBLE_TEST_PIP_BY_LINE: add the pip version "
            "its ansible-test bootstraps (get_venv_packages in ansible_test/_internal/python_requirements.py)"
        )
    script = os.path.expanduser(f"~/.ansible/test/cache/get_pip_{pip.replace('.', '_')}.py")
    if os.path.exists(script):
        return
    cache = os.path.dirname(script)
    log(f"providing {script} (installs pip {pip} from its PyPI wheel)")
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:"]
    subprocess.run(command + ["--dest", cache, f"pip=={pip}"], check=True)
    wheel = f"pip-{pip}-py3-none-any.whl"
    if not os.path.exists(os.path.join(cache, wheel)):
        raise SystemExit(f"ansible_test.py: pip download did not produce {wheel} in {cache}")
    with open(script + ".part", "w", encoding="utf-8") as handle:
        handle.write(GET_PIP_SHIM.format(wheel=wheel))
    os.replace(script + ".part", script)


# ---------------------------------------------------------------- commands


def sanity_command(supported: tuple[str, ...], found: list[str], missing: list[str]) -> list[str]:
    ensure_get_pip()
    if found == [CONTROLLER_PYTHON]:
        log(
            f"sanity: only Python {CONTROLLER_PYTHON} found among {' '.join(supported)}: "
            f"--venv --python {CONTROLLER_PYTHON}; compile/import are NOT checked on the other module Pythons"
        )
        return ["sanity", "--venv", "--python", CONTROLLER_PYTHON]
    log(
        f"sanity: --venv, module Pythons {' '.join(found)}"
        + (f" (not found here, skipped: {' '.join(missing)})" if missing else "")
    )
    return ["sanity", "--venv"]


def units_command() -> list[str]:
    ensure_get_pip()
    return ["units", "--venv", "--python", CONTROLLER_PYTHON, "--requirements"]


def integration_command() -> list[str]:
    targets = os.path.join(COLLECTION_COPY, "tests", "integration", "targets")
    runnable = [t for t in sorted(os.listdir(targets)) if not is_hidden_target(os.path.join(targets, t))]
    log(f"integration targets: {' '.join(runnable)}")
    return ["integration", "--local", "--python", CONTROLLER_PYTHON, "--continue-on-error"]


def stop_leftover_simulators() -> list[int]:
    """Stop simulators still running from this copy once ansible-test is done.

    Finds setup_simulator's supervisors (started from the copy's tests/output) and any
    `python -m simulator` whose interpreter or working directory lies in the copy (unit tests).
    """
    ctl = os.path.join(
        COLLECTION_COPY, "tests", "integration", "targets", "setup_simulator", "files", "simulator_ctl.py"
    )
    leftovers = []
    for pid in (int(entry) for entry in (os.listdir("/proc") if os.path.isdir("/proc") else []) if entry.isdigit()):
        args, cwd = process_args(pid)
        from_copy = any(a.startswith(COLLECTION_COPY + os.sep) for a in args[:2]) or cwd == COLLECTION_COPY
        if not from_copy:
            continue
        if len(args) > 2 and args[1].endswith("simulator_ctl.py") and args[2] == "supervise":
            subprocess.run([sys.executable, ctl, "stop", "--pid", str(pid)], check=False, capture_output=True)
            leftovers.append(pid)
        elif args[1:3] == ["-m", "simulator"]:
            terminate(pid)
            leftovers.append(pid)
    return leftovers


def terminate(pid: int) -> None:
    """SIGTERM, then SIGKILL if still there after 10 s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if not os.path.exists(f"/proc/{pid}") or process_args(pid)[0] == []:
                return
            time.sleep(0.05)


def process_args(pid: int) -> tuple[list[str], str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            args = [a.decode(errors="replace") for a in handle.read().split(b"\0") if a]
        return args, os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return [], ""


def is_hidden_target(path: str) -> bool:
    try:
        with open(os.path.join(path, "aliases"), encoding="utf-8") as handle:
            return "hidden" in handle.read().split()
    except OSError:
        return False


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("sanity", "units", "integration", "layout", "clean"):
        print(__doc__)
        return 2
    command, extra = argv[0], argv[1:]
    if command == "clean":
        for tree in [TREE] + glob.glob(TREE_PREFIX + "-*"):
            shutil.rmtree(tree, ignore_errors=True)
        return 0
    copy = layout_collection()
    if command == "layout":
        print(copy)
        return 0
    supported = supported_pythons()
    wanted = tuple(os.environ.get("PARTNER_PYTHONS", "").split()) or supported
    found, missing, env = prepare_pythons(tuple(v for v in wanted if v in supported) or (CONTROLLER_PYTHON,))
    if command == "sanity":
        arguments = sanity_command(supported, found, missing)
    elif command == "units":
        arguments = units_command()
    else:
        arguments = integration_command()
    full = [ansible_test_executable()] + arguments + ["--color", "no"] + extra
    log(f"cd {copy} && {' '.join(full)}")
    returncode = subprocess.run(full, cwd=copy, env=env, check=False).returncode
    leftovers = stop_leftover_simulators()
    if leftovers:
        log(
            f"ERROR: {command} left {len(leftovers)} simulator process(es) running (stopped now, pids "
            f"{' '.join(map(str, leftovers))}). Unit tests must stop what they start (ansible-test units runs "
            "each test in a forked process, so a module- or session-scoped fixture is never torn down: use "
            "function scope); integration targets must include setup_simulator's tasks_from: stop in an always: "
            "section"
        )
        returncode = returncode or 1
    return returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

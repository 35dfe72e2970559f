# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Create or refresh a virtualenv with the pinned test requirements (`make venv`); standard library only.

    python3 tools/bootstrap_venv.py [--line 2.19|2.21] [--venv DIR] [--force]

What it copes with (no ensurepip, no Python 3.12+ for 2.21; a stamp makes reruns instant): CONTRIBUTING.md,
"How the tooling copes with the machine". After changing a pin, regenerate the line's constraints file
(tests/constraints-dev.txt, tests/constraints-2.21.txt), the full resolved set: run `.venv/bin/pip install
--dry-run --ignore-installed --report /tmp/r.json -r FILE ...` over the line's requirement files (LINES; their
`-c` lines removed), then write every `name==version` of the report's "install" list.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from urllib.parse import urljoin

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIP_VERSION = "24.2"  # also the pip ansible-test 2.19 bootstraps into its venvs
PYPI_JSON = "https://pypi.org/pypi/pip/json"
# line -> (minimum controller Python, requirement files installed with `pip -r`, files they include)
LINES = {
    "2.19": (
        (3, 9),
        (
            "tests/requirements-dev.txt",
            "tests/requirements-awx.txt",
            "tests/requirements-eda.txt",
            "simulator/requirements.txt",
        ),
        ("requirements.txt", "tests/constraints-dev.txt"),
    ),
    "2.21": (
        (3, 12),
        ("tests/requirements-2.21.txt", "simulator/requirements.txt"),
        ("requirements.txt", "tests/constraints-2.21.txt"),
    ),
}
CANDIDATE_PYTHONS = ("3.14", "3.13", "3.12", "3.11", "3.10", "3.9")
STAMP_NAME = ".bootstrap-stamp"
STAMP_FORMAT = "2"


def log(message: str) -> None:
    print(f"bootstrap_venv: {message}", flush=True)


def venv_python(venv: str) -> str:
    return os.path.join(venv, "bin", "python")


def wanted_stamp(line: str) -> str:
    digest = hashlib.sha256(STAMP_FORMAT.encode())
    digest.update(sys.version.encode())
    installed, included = LINES[line][1:]
    for relative in installed + included:
        path = os.path.join(ROOT, relative)
        digest.update(relative.encode())
        if os.path.exists(path):
            with open(path, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()


def read_stamp(venv: str) -> str | None:
    try:
        with open(os.path.join(venv, STAMP_NAME), encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return None


def venv_matches_interpreter(venv: str) -> bool:
    """True when the venv exists, has pip, and was made from a Python of the same major.minor."""
    python = venv_python(venv)
    if not os.path.exists(python):
        return False
    result = subprocess.run(
        [python, "-c", "import sys, pip; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0 and result.stdout.strip() == "%d.%d" % sys.version_info[:2]


def download_pip_wheel(cache_dir: str) -> str:
    """Fetch pip's wheel from PyPI (cached), verifying the sha256 PyPI publishes for it."""
    with urllib.request.urlopen(PYPI_JSON, timeout=60) as response:
        release_files = json.load(response)["releases"][PIP_VERSION]
    wheel = next(f for f in release_files if f["packagetype"] == "bdist_wheel")
    expected = wheel["digests"]["sha256"]
    path = os.path.join(cache_dir, wheel["filename"])
    if os.path.exists(path) and sha256_of(path) == expected:
        return path
    os.makedirs(cache_dir, exist_ok=True)
    url = urljoin(PYPI_JSON, wheel["url"])
    log(f"downloading {url}")
    with urllib.request.urlopen(url, timeout=120) as response:
        data = response.read()
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise SystemExit(f"bootstrap_venv: sha256 mismatch for {url}: got {actual}, PyPI says {expected}")
    with open(path + ".part", "wb") as handle:
        handle.write(data)
    os.replace(path + ".part", path)
    return path


def sha256_of(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def create_venv(venv: str) -> None:
    shutil.rmtree(venv, ignore_errors=True)
    log(f"creating {venv} with {sys.executable} -m venv")
    if subprocess.run([sys.executable, "-m", "venv", venv], check=False).returncode == 0:
        return
    shutil.rmtree(venv, ignore_errors=True)
    # Debian's python3 without python3-venv has no ensurepip
    log(f"creating {venv} --without-pip instead; installing pip {PIP_VERSION} from its PyPI wheel")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    wheel = download_pip_wheel(os.path.join(ROOT, ".cache"))
    # A pip wheel is runnable: python pip.whl/pip install pip.whl
    subprocess.run(
        [venv_python(venv), os.path.join(wheel, "pip"), "install", "--no-index", "--quiet", wheel],
        check=True,
    )


def install_requirements(venv: str, line: str) -> None:
    installed, included = LINES[line][1:]
    files = [name for name in installed if os.path.exists(os.path.join(ROOT, name))]
    command = [venv_python(venv), "-m", "pip", "install", "--disable-pip-version-check"]
    for name in files:
        command += ["-r", os.path.join(ROOT, name)]
    # The constraints apply to every file, also those without their own -c line.
    command += ["-c", os.path.join(ROOT, included[-1])]
    log(f"installing pinned requirements ({', '.join(files)})")
    subprocess.run(command, check=True)


def reexec_with_newer_python(line: str, argv: list[str]) -> int | None:
    """When this Python is too old for the line: the exit code of this script run by one that is not (0 if none)."""
    minimum = LINES[line][0]
    if sys.version_info[:2] >= minimum:
        return None
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from ansible_test import find_interpreter  # pylint: disable=import-outside-toplevel

    for version in CANDIDATE_PYTHONS:
        if tuple(map(int, version.split("."))) >= minimum:
            interpreter = find_interpreter(version)
            if interpreter:
                log(f"ansible-core {line} needs Python {'.'.join(map(str, minimum))}+; using {interpreter}")
                return subprocess.run([interpreter, os.path.abspath(__file__)] + argv, check=False).returncode
    log(
        f"SKIP ansible-core {line}: no Python {'.'.join(map(str, minimum))}+ found (PATH, pyenv); "
        f"its suites will be skipped"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--venv", default=os.path.join(ROOT, ".venv"), help="virtualenv path (default: .venv)")
    parser.add_argument("--force", action="store_true", help="recreate the virtualenv from scratch")
    parser.add_argument("--line", choices=sorted(LINES), default="2.19", help="ansible-core line (default: 2.19)")
    args = parser.parse_args()
    reexec_code = reexec_with_newer_python(args.line, sys.argv[1:])
    if reexec_code is not None:
        return reexec_code
    venv = os.path.abspath(args.venv)
    stamp = wanted_stamp(args.line)
    if not args.force and read_stamp(venv) == stamp and venv_matches_interpreter(venv):
        log(f"{venv} is up to date")
        return 0
    if args.force or not venv_matches_interpreter(venv):
        create_venv(venv)
    install_requirements(venv, args.line)
    with open(os.path.join(venv, STAMP_NAME), "w", encoding="utf-8") as handle:
        handle.write(stamp + "\n")
    log(f"{venv} is ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())

# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Install the Debian packages the test suites need when they are missing (`make venv` runs this).

    python3 tools/system_packages.py [--check]    # --check: only say what is missing

Standard library only. Installing needs root and apt-get (PARTNER_NO_SYSTEM_PACKAGES=1: never); without
them this says what is missing, and the suites needing it are SKIPPED with that reason.
"""

from __future__ import annotations

import ctypes.util
import glob
import os
import shutil
import subprocess
import sys

# what the suites look for -> the Debian packages that provide it: Chromium (the usage report and the
# docsite in a real browser), PostgreSQL (the journal's store), libmagic (reuse lint), Java (ansible-rulebook)
NEEDED = {
    "chromium": ("chromium",),
    "postgresql": ("postgresql-15",),
    "libmagic": ("libmagic1",),
    "java": ("openjdk-17-jre-headless",),
}


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def postgresql_bin_dir() -> str | None:
    """The folder holding initdb and pg_ctl (the newest PostgreSQL found), or None."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    found = candidates[-1] if candidates else shutil.which("initdb")
    return os.path.dirname(found) if found else None


def libmagic_path() -> str | None:
    """libmagic, which `reuse lint` (python-magic) loads to tell text from binary files."""
    return ctypes.util.find_library("magic")


def java_home() -> str | None:
    """A Java 17+ runtime's home (ansible-rulebook's rule engine, drools_jpy, needs one), or None.

    The oldest one from 17 on: the Java the suite is tested with (Debian's openjdk-17), when several are there.
    """
    for java in sorted(glob.glob("/usr/lib/jvm/*/bin/java"), key=_java_major):
        if _java_major(java) >= MIN_JAVA:
            return os.path.dirname(os.path.dirname(java))
    return None


def _java_major(path: str) -> int:
    """17 for /usr/lib/jvm/java-17-openjdk-amd64/bin/java (Debian's layout), 0 when the name tells nothing."""
    name = path.split("/")[4]
    numbers = [int(part) for part in name.replace("-", ".").split(".") if part.isdigit()]
    return numbers[0] if numbers and numbers[0] != 1 else (numbers[1] if len(numbers) > 1 else 0)


MIN_JAVA = 17
FOUND = {
    "chromium": chromium_path,
    "postgresql": postgresql_bin_dir,
    "libmagic": libmagic_path,
    "java": java_home,
}


def missing() -> list[str]:
    return [name for name, find in FOUND.items() if find() is None]


def why_not_installable() -> str | None:
    if os.environ.get("PARTNER_NO_SYSTEM_PACKAGES"):
        return "PARTNER_NO_SYSTEM_PACKAGES is set"
    if not shutil.which("apt-get"):
        return "no apt-get on this machine"
    if os.geteuid() != 0:
        return "not root (run: sudo apt-get install %s)" % " ".join(p for n in missing() for p in NEEDED[n])
    return None


def install(names: list[str]) -> bool:
    packages = [package for name in names for package in NEEDED[name]]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print("system_packages: apt-get install %s" % " ".join(packages), flush=True)
    update = subprocess.run(["apt-get", "update", "-qq"], env=env, stdin=subprocess.DEVNULL, check=False)
    if update.returncode != 0:
        return False
    command = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]
    return subprocess.run(command, env=env, stdin=subprocess.DEVNULL, check=False).returncode == 0


def main(argv: list[str]) -> int:
    absent = missing()
    if not absent:
        print(
            "system_packages: chromium at %s, PostgreSQL binaries in %s, Java in %s"
            % (chromium_path(), postgresql_bin_dir(), java_home())
        )
        return 0
    reason = "--check given" if "--check" in argv else why_not_installable()
    if reason is None and install(absent):
        absent = missing()
    for name in absent:
        print(
            "system_packages: %s is missing (%s); the suites that need it will be SKIPPED"
            % (name, reason or "apt-get install failed")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

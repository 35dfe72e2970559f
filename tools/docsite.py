# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build the collection's docsite with antsibull-docs and Sphinx, offline (`make docsite`).

    .venv/bin/python tools/docsite.py [--collection DIR] [--dest DIR]     (default: build/docsite)

The sources are docs/docsite/ (CONTRIBUTING.md, "The docsite"); nothing generated is committed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
COLLECTION = "exoscale.partner"


def site_dir(collection: str) -> str:
    return os.path.join(collection, "docs", "docsite", "site")


def write_inventory(collection: str, dest: str) -> None:
    """DEST/ansible_devel.inv: a Sphinx inventory (version 2) of the lines of ansible_devel.inventory."""
    with open(os.path.join(site_dir(collection), "ansible_devel.inventory"), encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    header = "# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n"
    header += "# The remainder of this file is compressed using zlib.\n"
    with open(os.path.join(dest, "ansible_devel.inv"), "wb") as handle:
        handle.write(header.encode() + zlib.compress("".join(lines).encode()))


def run(command: list[str], env: dict) -> None:
    print("docsite: $ " + " ".join(command), flush=True)
    result = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, check=False)
    if result.returncode != 0:
        raise SystemExit(f"docsite: FAIL: {os.path.basename(command[0])} exited {result.returncode}")


def build(collection: str = ROOT, dest: str = os.path.join(ROOT, "build", "docsite")) -> str:
    """Build the docsite of collection into dest; return the path of the collection's index page."""
    source, html = os.path.join(dest, "rst"), os.path.join(dest, "html")
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(source, mode=0o755)
    os.chmod(source, 0o755)  # antsibull-docs writes only into a folder no one else may write to
    shutil.copy(os.path.join(site_dir(collection), "index.rst"), source)
    write_inventory(collection, dest)
    with tempfile.TemporaryDirectory(prefix="docsite-collections-") as collections:
        namespace, name = COLLECTION.split(".")
        os.makedirs(os.path.join(collections, "ansible_collections", namespace))
        os.symlink(os.path.abspath(collection), os.path.join(collections, "ansible_collections", namespace, name))
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="False")
        env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
        config = os.path.join(site_dir(collection), "antsibull-docs.cfg")
        antsibull = [os.path.join(BIN, "antsibull-docs"), "--config-file", config, "collection", "--use-current"]
        run(antsibull + ["--fail-on-error", "--cleanup", "everything", "--dest-dir", source, COLLECTION], env)
    # -W --keep-going: every warning is listed, and any fails the build
    sphinx = [os.path.join(BIN, "sphinx-build"), "-b", "html", "-W", "--keep-going", "-c", site_dir(collection)]
    run(sphinx + ["-d", os.path.join(dest, "doctrees"), source, html], env)
    index = os.path.join(html, "collections", *COLLECTION.split("."), "index.html")
    print(f"docsite: built {os.path.relpath(os.path.join(html, 'index.html'))} (collection page: {index})")
    return index


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--collection", default=ROOT)
    parser.add_argument("--dest", default=os.path.join(ROOT, "build", "docsite"))
    args = parser.parse_args(argv)
    build(args.collection, args.dest)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

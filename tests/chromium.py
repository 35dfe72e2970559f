# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real headless Chromium for the tests that look at pages (tests/report, tests/docsite).

    from chromium import CHROMIUM, chromium     # with tests/ on sys.path
    chromium(tmp_path, "dom", "--dump-dom", "file:///...")   # its stdout; fails the test on error

CHROMIUM is the browser found (the CHROMIUM environment variable, else `chromium` or
`chromium-browser` on PATH), or None: a test module then skips itself, saying so loudly.
"""

from __future__ import annotations

import os
import shutil
import subprocess

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
MISSING = "SKIPPED LOUDLY: no chromium found (install the Debian package 'chromium', which make venv does where it can)"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--hide-scrollbars",
]


def chromium(tmp_path, name, *arguments, timeout=120):
    """Run Chromium with a fresh profile (no cache, no state) under tmp_path; return its stdout."""
    profile = tmp_path / ("profile-" + name)
    command = [CHROMIUM, *FLAGS, "--user-data-dir=%s" % profile, *arguments]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout

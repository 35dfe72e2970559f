# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a command and append its peak resident memory (KiB) to a file: bench/run.py's memory probe.

    python bench/peak_rss.py OUT_FILE COMMAND [ARG ...]

The command inherits stdin, stdout and stderr, and its exit code is returned. As an interpreter
wrapper (ansible_python_interpreter) it measures one module process: AnsiballZ runs the module in
the interpreter's own process.
"""

from __future__ import annotations

import resource
import subprocess
import sys


def main(argv):
    out, command = argv[0], argv[1:]
    code = subprocess.call(command)
    with open(out, "a", encoding="utf-8") as handle:
        handle.write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

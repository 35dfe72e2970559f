# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check (default) or write (--fix) the one licence header form of every source file.

    python3 tools/headers.py           # exit 1 and list the files whose header is not HEADER
    python3 tools/headers.py --fix     # rewrite them: shebang kept, old copyright/licence lines replaced

Source files are the Python and shell files git tracks (and untracked ones it does not ignore).
Other files (docs, YAML, data) get their licence from REUSE.toml; `reuse lint` checks both.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# REUSE-IgnoreStart
HEADER = (
    "# Copyright (c) 2026, exoscale.partner contributors\n"
    "# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)\n"
    "# SPDX-License-Identifier: GPL-3.0-or-later\n"
)
# REUSE-IgnoreEnd
SOURCE = re.compile(r"(\.py|\.sh)$|(^|/)\.ci/run$")
# Comment lines that belong to an old header and are replaced by HEADER.
OLD_HEADER_LINE = re.compile(r"^#\s*(-\*- coding|Copyright|GNU General Public License|SPDX-License-Identifier)", re.I)


def source_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    return sorted(path for path in listed if SOURCE.search(path) and os.path.isfile(os.path.join(ROOT, path)))


def with_header(text: str) -> str:
    lines = text.splitlines(keepends=True)
    shebang = [lines.pop(0)] if lines and lines[0].startswith("#!") else []
    while lines and OLD_HEADER_LINE.match(lines[0]):
        lines.pop(0)
    return "".join(shebang) + HEADER + "".join(lines)


def main(argv: list[str]) -> int:
    fix = "--fix" in argv
    wrong = []
    for path in source_files():
        full = os.path.join(ROOT, path)
        with open(full, encoding="utf-8") as handle:
            text = handle.read()
        expected = with_header(text)
        if expected != text:
            wrong.append(path)
            if fix:
                with open(full, "w", encoding="utf-8") as handle:
                    handle.write(expected)
    verb = "rewrote" if fix else "wrong or missing licence header (python3 tools/headers.py --fix):"
    for path in wrong:
        print(f"headers: {verb} {path}")
    print(f"headers: {len(wrong)} of {len(source_files())} source files {'fixed' if fix else 'to fix'}")
    return 1 if wrong and not fix else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

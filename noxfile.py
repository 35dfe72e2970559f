# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""antsibull-nox sessions (antsibull-nox.toml) and a strict build-import-check; make test runs them as suites."""

from pathlib import Path

import antsibull_nox
import nox
from antsibull_nox.collection import build_collection

antsibull_nox.load_antsibull_nox_toml()


@nox.session(name="build-import-check")
def build_import_check(session: nox.Session) -> None:
    """Build the collection and import it with galaxy-importer as Automation Hub does; any ERROR or WARNING fails.

    antsibull-nox's own session of this name only reports the importer's ERROR lines and ignores
    its WARNING lines (ansible-lint findings among them).
    """
    session.install("-c", "tests/constraints-nox.txt", "ansible-core", "galaxy-importer")
    config = {"GALAXY_IMPORTER_CONFIG": str(Path("tests/galaxy-importer.cfg").absolute())}
    tarball, _collection, _version = build_collection(session)
    with session.chdir(tarball.parent):
        output = session.run("python", "-m", "galaxy_importer.main", tarball.name, env=config, silent=True)
    print(output)
    findings = [line for line in output.splitlines() if line.startswith(("ERROR:", "WARNING:"))]
    if findings:
        session.error(f"galaxy-importer reported {len(findings)} problem(s):\n" + "\n".join(findings))


if __name__ == "__main__":
    nox.main()

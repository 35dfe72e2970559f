# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Session fixtures for the AWX / execution environment tests: the built and installed collection."""

from __future__ import annotations

import tarfile

import pytest
from awx_helpers import GALAXY, REPOSITORY_ROOT, run, tool_env


@pytest.fixture(scope="session")
def collection_tarball(tmp_path_factory):
    """The collection built from this repository with ansible-galaxy."""
    output = tmp_path_factory.mktemp("build")
    run(GALAXY + ["collection", "build", REPOSITORY_ROOT, "--output-path", str(output), "--force"], env=tool_env())
    tarballs = sorted(output.glob("exoscale-partner-*.tar.gz"))
    assert len(tarballs) == 1, "expected one exoscale-partner tarball in %s, found %s" % (output, tarballs)
    return tarballs[0]


@pytest.fixture(scope="session")
def tarball_members(collection_tarball):
    with tarfile.open(collection_tarball) as tar:
        return set(tar.getnames())


@pytest.fixture(scope="session")
def installed_collections(collection_tarball, tmp_path_factory):
    """A clean collections path with only the built tarball installed (the folder above ansible_collections)."""
    path = tmp_path_factory.mktemp("collections")
    run(
        GALAXY + ["collection", "install", str(collection_tarball), "-p", str(path), "--force"],
        env=tool_env(collections_path=path),
    )
    assert (path / "ansible_collections" / "exoscale" / "partner" / "MANIFEST.json").is_file()
    return path

# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection as ansible-builder sees it: its dependency metadata, and an EE build context.

No container runtime: `ansible-builder create` only writes the build context, and the test then
replays the context's galaxy and introspection steps locally.
"""

from __future__ import annotations

import shutil
import sys

import yaml
from awx_helpers import BUILDER, GALAXY, repo_path, run, tool_env

EE_EXAMPLE = repo_path("examples", "awx", "ee")


def requirement_lines(path):
    with open(path, encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip() and not line.startswith("#")]


def test_tarball_ships_the_dependency_files(collection_tarball, tarball_members):
    with open(repo_path("meta", "execution-environment.yml"), encoding="utf-8") as handle:
        metadata = yaml.safe_load(handle)
    named = sorted(metadata["dependencies"].values())
    assert named == ["requirements.txt"], "the EE metadata should name exactly the Python requirements file"
    assert "meta/execution-environment.yml" in tarball_members
    missing = [path for path in named if path not in tarball_members]
    assert not missing, "%s names %s, absent from %s" % (
        "meta/execution-environment.yml",
        missing,
        collection_tarball.name,
    )


def test_introspect_reports_requests(installed_collections):
    result = run(BUILDER + ["introspect", "--sanitize", str(installed_collections)], env=tool_env())
    report = yaml.safe_load(result.stdout)
    python = report["python"]
    assert any(line.startswith("requests") and "from collection exoscale.partner" in line for line in python), python
    for requirement in requirement_lines(repo_path("requirements.txt")):
        assert any(line.startswith(requirement) for line in python), "%s not in %s" % (requirement, python)
    assert report["system"] == []


def test_create_writes_a_build_context_that_installs_the_collection(collection_tarball, tmp_path):
    definition = tmp_path / "definition"
    shutil.copytree(EE_EXAMPLE, definition)
    shutil.copy(collection_tarball, definition / "exoscale-partner.tar.gz")
    context = tmp_path / "context"

    run(
        BUILDER
        + [
            "create",
            "-f",
            str(definition / "execution-environment.yml"),
            "-c",
            str(context),
            "--output-filename",
            "Containerfile",
        ],
        env=tool_env(),
    )

    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    build = context / "_build"
    assert (build / "requirements.yml").is_file()
    assert (build / "collections" / "exoscale-partner.tar.gz").is_file()
    assert (build / "scripts" / "introspect.py").is_file()
    assert "collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in containerfile
    assert "introspect.py introspect" in containerfile
    assert "ansible-core==2.19" in containerfile
    # the optional PostgreSQL driver for the metering journal, from the definition's python list
    assert "psycopg[binary]" in (build / "requirements.txt").read_text(encoding="utf-8")

    # Replay the image's galaxy stage (WORKDIR /build) and builder stage here, without containers.
    collections = tmp_path / "usr_share_ansible_collections"
    run(
        GALAXY + ["collection", "install", "-r", "requirements.yml", "--collections-path", str(collections), "--force"],
        cwd=build,
        env=tool_env(collections_path=collections),
    )
    pip_file = tmp_path / "ee-requirements.txt"
    run(
        [
            sys.executable,
            str(build / "scripts" / "introspect.py"),
            "introspect",
            str(collections),
            "--write-pip",
            str(pip_file),
        ],
        env=tool_env(),
    )
    python_deps = requirement_lines(pip_file)
    assert any(line.startswith("requests") and "exoscale.partner" in line for line in python_deps), python_deps

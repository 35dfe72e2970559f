# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The changelog gate's fragment check (tools/quality_gates.py) on small git repositories."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "tools"))
from quality_gates import GateFailure, check_fragments  # noqa: E402  pylint: disable=wrong-import-position

RELEASED = "---\nancestor: null\nreleases:\n  0.1.0:\n    release_date: '2026-12-01'\n"


def git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path):
    (tmp_path / "changelogs" / "fragments").mkdir(parents=True)
    (tmp_path / "plugins" / "modules").mkdir(parents=True)
    (tmp_path / "plugins" / "modules" / "thing.py").write_text("x = 1\n")
    (tmp_path / "changelogs" / "changelog.yaml").write_text(RELEASED)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "release 0.1.0")
    return tmp_path


def test_before_the_first_release_the_check_says_it_is_skipped(repo):
    (repo / "changelogs" / "changelog.yaml").write_text("---\nancestor: null\nreleases: {}\n")
    assert check_fragments(str(repo)).startswith("fragment check skipped: no release yet")


def test_a_plugin_change_without_a_fragment_fails(repo):
    git(repo, "tag", "0.1.0")
    (repo / "plugins" / "modules" / "thing.py").write_text("x = 2\n")
    with pytest.raises(GateFailure, match=r"plugins/ changed since release 0.1.0 \(tag 0.1.0\).*thing.py"):
        check_fragments(str(repo))


def test_a_new_plugin_file_without_a_tag_is_compared_with_the_release_commit(repo):
    (repo / "plugins" / "modules" / "other.py").write_text("y = 1\n")
    with pytest.raises(GateFailure, match=r"last change of changelogs/changelog.yaml; no tag 0.1.0"):
        check_fragments(str(repo))


@pytest.mark.parametrize("fragment", ["bugfixes:\n  - thing - fixed.\n", "trivial:\n  - refactor.\n"])
def test_a_fragment_satisfies_the_check(repo, fragment):
    (repo / "plugins" / "modules" / "thing.py").write_text("x = 2\n")
    (repo / "changelogs" / "fragments" / "17-thing.yml").write_text("---\n" + fragment)
    assert check_fragments(str(repo)) == (
        "fragment check: 1 plugins/ files, 1 fragments changed since commit "
        + subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True).stdout[:12]
        + " (last change of changelogs/changelog.yaml; no tag 0.1.0)"
    )


def test_no_plugin_change_needs_no_fragment(repo):
    git(repo, "tag", "v0.1.0")
    assert check_fragments(str(repo)) == "fragment check: 0 plugins/ files, 0 fragments changed since tag v0.1.0"

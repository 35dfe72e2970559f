# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Release gates neither ansible-test nor antsibull-nox (noxfile.py) provides: metadata, changelog, ansible-lint, build.

Usage: .venv/bin/python tools/quality_gates.py GATE     (what each checks: CONTRIBUTING.md, "The suites")

The gates run on a copy of the repository of their own, laid out by tools/ansible_test.py
($TMPDIR/exoscale-partner-<hash>-gates), so that they can run beside ansible-test.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

import yaml

os.environ.setdefault("PARTNER_TREE_NAME", "gates")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ansible_test import layout_collection  # noqa: E402  pylint: disable=wrong-import-position

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
COLLECTION = "exoscale.partner"
# Must never be in the tarball (a prefix matches the path or a folder of it); galaxy.yml's build_ignore keeps them out.
DEV_ONLY = (".git/", ".ci/", ".venv", ".nox/", ".cache/", "Makefile", "build/", "tools/", "bench/", "tests/output/")


class GateFailure(Exception):
    """A gate found a problem; the message says what and how to fix it."""


def log(message: str) -> None:
    print(f"quality_gates: {message}", flush=True)


def run(command: list[str], cwd: str = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run a command with its output shown; raise GateFailure when it fails."""
    log(f"$ {' '.join(command)}")
    result = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    sys.stdout.write(result.stdout)
    if result.returncode != 0:
        raise GateFailure(f"{os.path.basename(command[0])} exited {result.returncode}")
    return result


def tool(name: str) -> str:
    return os.path.join(BIN, name)


def collections_env(collections_path: str) -> dict:
    """Ansible tools from this venv, seeing only the collections under collections_path."""
    env = dict(os.environ)
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env["ANSIBLE_COLLECTIONS_PATH"] = collections_path
    env["ANSIBLE_COLLECTIONS_SCAN_SYS_PATH"] = "False"
    env["ANSIBLE_NOCOLOR"] = "1"
    for name in ("EXOSCALE_API_KEY", "EXOSCALE_API_SECRET", "EXOSCALE_PARTNER_API_URL"):
        env.pop(name, None)
    return env


def load_yaml(*parts: str):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


# ---------------------------------------------------------------- metadata


def gate_metadata() -> None:
    problems = ignore_file_entries() + requires_ansible_mismatch(
        load_yaml("meta", "runtime.yml").get("requires_ansible", "")
    )
    if problems:
        raise GateFailure("; ".join(problems))


def ignore_file_entries() -> list[str]:
    folder = os.path.join(ROOT, "tests", "sanity")
    problems = []
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if name.startswith("ignore-") and name.endswith(".txt"):
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                entries = [line for line in handle if line.strip() and not line.startswith("#")]
            if entries:
                problems.append(f"tests/sanity/{name} has {len(entries)} entries; fix the findings instead")
    log(f"sanity ignore entries: {'none' if not problems else len(problems)}")
    return problems


def requires_ansible_mismatch(requires: str) -> list[str]:
    with open(os.path.join(ROOT, "tests", "requirements-dev.txt"), encoding="utf-8") as handle:
        tested = re.search(r"^ansible-core==(\d+)\.(\d+)\.", handle.read(), re.M)
    lower = re.fullmatch(r">=(\d+)\.(\d+)\.0", requires.strip())
    log(f"requires_ansible {requires!r}; oldest tested line {tested.group(1)}.{tested.group(2)}")
    if not lower or lower.groups() != tested.groups():
        return [
            f"requires_ansible is {requires!r} but the oldest ansible-core make test runs is "
            f"{tested.group(1)}.{tested.group(2)} (tests/requirements-dev.txt): make them agree"
        ]
    return []


# ---------------------------------------------------------------- plugins


def plugins() -> list[str]:
    """FQCN of every plugin in plugins/ (module_utils, plugin_utils, doc_fragments are not plugins) and every role."""
    names = set()
    for folder in glob.glob(os.path.join(ROOT, "plugins", "*")):
        if os.path.basename(folder) not in ("module_utils", "plugin_utils", "doc_fragments"):
            # filter and test plugins: one .py may hold several, each documented by a <name>.yml beside it
            names |= {os.path.splitext(n)[0] for n in os.listdir(folder) if n.endswith((".py", ".yml"))}
    names |= {
        os.path.basename(os.path.dirname(os.path.dirname(p)))
        for p in glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml"))
    }
    return sorted(f"{COLLECTION}.{name}" for name in names - {"__init__"})


# ---------------------------------------------------------------- changelog


def git(*args: str, root: str = ROOT) -> list[str]:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    return [line for line in result.stdout.splitlines() if line.strip()] if result.returncode == 0 else []


def released_versions(root: str = ROOT) -> list[str]:
    with open(os.path.join(root, "changelogs", "changelog.yaml"), encoding="utf-8") as handle:
        releases = (yaml.safe_load(handle) or {}).get("releases") or {}
    return sorted(releases, key=lambda v: [int(p) if p.isdigit() else -1 for p in re.split(r"[.+-]", str(v))])


def release_base(version: str, root: str = ROOT) -> tuple[str, str]:
    """(git revision, its description) of the last release: its tag, else the commit that recorded it."""
    for tag in (version, f"v{version}"):
        if git("rev-parse", "--verify", "--quiet", f"refs/tags/{tag}", root=root):
            return tag, f"tag {tag}"
    recorded = git("log", "-1", "--format=%H", "--", "changelogs/changelog.yaml", root=root)
    if not recorded:
        raise GateFailure(
            f"release {version} has neither a git tag ({version}, v{version}) nor a commit of changelog.yaml"
        )
    return recorded[0], f"commit {recorded[0][:12]} (last change of changelogs/changelog.yaml; no tag {version})"


def changed_since(base: str, folder: str, root: str = ROOT) -> list[str]:
    """Files under folder added or changed since base: committed, staged, unstaged or untracked."""
    changed = git("diff", "--name-only", "--diff-filter=AMR", base, "--", folder, root=root)
    return sorted(set(changed + git("ls-files", "--others", "--exclude-standard", "--", folder, root=root)))


def check_fragments(root: str = ROOT) -> str:
    """A changelogs/fragments/ entry whenever plugins/ changed since the last release.

    Before the first release there is nothing to compare with, and nothing released to describe a
    change to: the first version's content is announced by version_added and its release summary.
    A change users cannot see still needs a fragment, with only the `trivial` section.
    """
    versions = released_versions(root)
    if not versions:
        return (
            "fragment check skipped: no release yet in changelogs/changelog.yaml (the first release is announced "
            "by version_added and its release summary)"
        )
    if not os.path.isdir(os.path.join(root, ".git")) and not git("rev-parse", "--git-dir", root=root):
        return "fragment check skipped: not a git checkout"
    base, described = release_base(versions[-1], root)
    plugins_changed = changed_since(base, "plugins", root)
    fragments = [f for f in changed_since(base, os.path.join("changelogs", "fragments"), root) if f.endswith(".yml")]
    if plugins_changed and not fragments:
        raise GateFailure(
            f"plugins/ changed since release {versions[-1]} ({described}): {', '.join(plugins_changed[:5])}; add "
            "changelogs/fragments/<issue>-<topic>.yml describing the change for users (bugfixes, minor_changes, ...), "
            "or with only a `trivial:` entry when users cannot notice it"
        )
    return (
        f"fragment check: {len(plugins_changed)} plugins/ files, {len(fragments)} fragments changed since {described}"
    )


def gate_changelog() -> None:
    log(check_fragments())
    run([tool("antsibull-changelog"), "lint"])
    run([tool("antsibull-changelog"), "lint-changelog-yaml", os.path.join("changelogs", "changelog.yaml")])
    version = load_yaml("galaxy.yml")["version"]
    copy = layout_collection()
    with tempfile.TemporaryDirectory() as scratch:
        trial = os.path.join(scratch, "ansible_collections", "exoscale", "partner")
        shutil.copytree(copy, trial, ignore=shutil.ignore_patterns("output"))
        # release asks ansible-doc (from PATH) which plugins are new
        run(
            [tool("antsibull-changelog"), "release", "--version", version, "--date", "2000-01-01"],
            cwd=trial,
            env=collections_env(scratch),
        )
        with open(os.path.join(trial, "CHANGELOG.rst"), encoding="utf-8") as handle:
            rendered = handle.read()
    print(rendered, flush=True)
    if f"v{version}" not in rendered or "Release Summary" not in rendered:
        raise GateFailure(
            f"a trial release of {version} has no 'v{version}' section with a Release Summary: "
            f"add changelogs/fragments/{version}.yml with release_summary"
        )
    unannounced = [name for name in plugins() if name not in rendered]
    if unannounced:
        raise GateFailure(
            f"the trial changelog does not announce {', '.join(unannounced)}: give each new plugin "
            f"`version_added: {version}` in its DOCUMENTATION (not a fragment)"
        )
    log(f"trial release {version}: CHANGELOG.rst has the release summary and announces all {len(plugins())} plugins")


# ---------------------------------------------------------------- ansible-lint


def gate_ansible_lint() -> None:
    copy = layout_collection()
    env = collections_env(os.path.dirname(os.path.dirname(os.path.dirname(copy))))
    lint = [tool("ansible-lint"), "--nocolor", "--offline", "-c", ".ansible-lint"]
    run(lint + ["examples", "roles", "extensions/eda/rulebooks", "tests/integration/targets"], cwd=copy, env=env)


# ---------------------------------------------------------------- build


def check_tarball(tarball: str) -> None:
    with tarfile.open(tarball) as tar:
        members = [m.lstrip("./") for m in tar.getnames()]
    unwanted = sorted(m for m in members if any(m == p.rstrip("/") or m.startswith(p) for p in DEV_ONLY))
    log(f"{os.path.basename(tarball)}: {len(members)} entries")
    if unwanted:
        raise GateFailure(
            f"dev-only files in the tarball: {', '.join(unwanted[:20])}: add them to build_ignore in galaxy.yml"
        )


def gate_build() -> None:
    copy = layout_collection()
    with tempfile.TemporaryDirectory() as scratch:
        output, collections = os.path.join(scratch, "dist"), os.path.join(scratch, "collections")
        env = collections_env(collections)
        run([tool("ansible-galaxy"), "collection", "build", copy, "--output-path", output], env=env)
        tarball = os.path.join(output, os.listdir(output)[0])
        check_tarball(tarball)
        run([tool("ansible-galaxy"), "collection", "install", tarball, "-p", collections, "--force"], env=env)
        run([tool("ansible-galaxy"), "collection", "list", COLLECTION, "-p", collections], env=env)
        run([sys.executable, os.path.join(ROOT, "tools", "demo.py"), "--installed", collections], env=env)


GATES = {
    "metadata": gate_metadata,
    "changelog": gate_changelog,
    "ansible-lint": gate_ansible_lint,
    "build": gate_build,
}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in GATES:
        print(__doc__)
        return 2
    try:
        GATES[argv[0]]()
    except GateFailure as failure:
        print(f"quality_gates: FAIL {argv[0]}: {failure}", flush=True)
        return 1
    log(f"PASS {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

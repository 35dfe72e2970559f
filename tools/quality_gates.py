# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Release gates beyond ansible-test: collection metadata, docs, changelog, ansible-lint, build.

Usage: .venv/bin/python tools/quality_gates.py GATE     (run by tools/run_tests.py; each exits non-zero on failure)

  metadata    the `partner` action group in meta/runtime.yml lists exactly plugins/modules/*.py;
              no tests/sanity/ignore-*.txt has an entry; requires_ansible's lower bound is the
              oldest ansible-core line `make test` runs (tests/requirements-dev.txt)
  docs        every plugin renders with ansible-doc; `antsibull-docs lint-collection-docs
              --plugin-docs` passes; docs/modules/ equals freshly generated docs
  docs-write  regenerate docs/modules/ (`make docs`)
  changelog   a changelogs/fragments/ entry exists when plugins/ changed since the last release (its
              git tag X.Y.Z or vX.Y.Z, else the commit that last changed changelogs/changelog.yaml;
              skipped, saying so, before the first release); `antsibull-changelog lint`; a trial
              `release` of the version in galaxy.yml (in a scratch copy) renders a changelog with
              the release summary
  lint        ansible-lint (profile from .ansible-lint) on examples/, roles/, the EDA rulebooks and the
              integration targets
  build       `ansible-galaxy collection build`; the tarball holds the product and no dev-only
              file; `install --force` into a clean path; the installed collection runs
              examples/provision_customers.yml against the simulator (twice: the rerun changes nothing)

Tools run from this Python's venv; the checks run on a copy of the repository (tracked and
untracked-not-ignored files) made by tools/ansible_test.py under ansible_collections/, in a tree of
the gates' own ($TMPDIR/exoscale-partner-<hash>-gates), apart from ansible-test's.
"""

from __future__ import annotations

import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

import yaml

# The gates mirror the repository into a copy of their own, so that they can run while ansible-test
# runs in its copy (tools/run_tests.py runs suites side by side).
os.environ.setdefault("PARTNER_TREE_NAME", "gates")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ansible_test import layout_collection  # noqa: E402  pylint: disable=wrong-import-position

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
DOCS_DIR = os.path.join(ROOT, "docs", "modules")
COLLECTION = "exoscale.partner"
# plugins/<dir> that hold plugins ansible-doc documents (module_utils and doc_fragments are not plugins)
DOCUMENTED_PLUGIN_TYPES = {
    "modules": "module",
    "inventory": "inventory",
    "lookup": "lookup",
    "filter": "filter",
    "action": "action",
    "callback": "callback",
    "connection": "connection",
    "test": "test",
}
# Must never be in the tarball (a prefix matches the path or a folder of it).
DEV_ONLY = (
    ".git/",
    ".ci/",
    ".venv",
    ".cache/",
    ".pytest_cache/",
    ".ansible-lint",
    ".yamllint",
    ".gitignore",
    "Makefile",
    "build/",
    "dist/",
    "tools/",
    "bench/",
    "tests/bench/",
    "tests/reliability/",
    "tests/house/",
    "tests/eda/",
    "tests/output/",
    "tests/integration/inventory",
    "changelogs/.plugin-cache.yaml",
)
# Must be in the tarball: the product.
SHIPPED = (
    "MANIFEST.json",
    "FILES.json",
    "README.md",
    "meta/runtime.yml",
    "plugins/modules/partner_org.py",
    "plugins/module_utils/_client.py",
    "simulator/__main__.py",
    "simulator/control.py",
    "examples/provision_customers.yml",
    "examples/usage_report.yml",
    "plugins/filter/usage_report.py",
    "roles/usage_report/meta/argument_specs.yml",
    "roles/usage_report/templates/usage-report.html.j2",
    "docs/simulator.md",
    "docs/events.md",
    "extensions/eda/plugins/event_source/partner_events.py",
    "extensions/eda/rulebooks/suspended_customer.yml",
    "examples/eda/suspended_customer.yml",
    "docs/modules/index.rst",
    "changelogs/changelog.yaml",
    "requirements.txt",
)


class GateFailure(Exception):
    """A gate found a problem; the message says what and how to fix it."""


def log(message: str) -> None:
    print(f"quality_gates: {message}", flush=True)


def run(
    command: list[str], cwd: str = ROOT, env: dict | None = None, quiet: bool = False
) -> subprocess.CompletedProcess:
    """Run a command with its output shown (quiet: only on failure); raise GateFailure when it fails."""
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
    if not quiet or result.returncode != 0:
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


def laid_out() -> tuple[str, dict]:
    """(collection copy, environment whose collections path is the copy's tree)."""
    copy = layout_collection()
    return copy, collections_env(os.path.dirname(os.path.dirname(os.path.dirname(copy))))


def load_yaml(*parts: str):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


# ---------------------------------------------------------------- metadata


def module_names() -> list[str]:
    folder = os.path.join(ROOT, "plugins", "modules")
    return sorted(name[:-3] for name in os.listdir(folder) if name.endswith(".py") and name != "__init__.py")


def gate_metadata() -> None:
    runtime = load_yaml("meta", "runtime.yml")
    group = runtime.get("action_groups", {}).get("partner", [])
    modules = module_names()
    missing, extra = sorted(set(modules) - set(group)), sorted(set(group) - set(modules))
    duplicates = sorted({name for name in group if group.count(name) > 1})
    problems = []
    if missing:
        problems.append(f"modules missing from the partner action group in meta/runtime.yml: {', '.join(missing)}")
    if extra:
        problems.append(f"action group entries without a module in plugins/modules/: {', '.join(extra)}")
    if duplicates:
        problems.append(f"action group entries listed twice: {', '.join(duplicates)}")
    log(f"action group partner: {', '.join(group)}; plugins/modules: {', '.join(modules)}")
    problems += ignore_file_entries()
    problems += requires_ansible_mismatch(runtime.get("requires_ansible", ""))
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


# ---------------------------------------------------------------- docs


# Filter and test plugins: one .py may hold several, each documented by a <name>.yml beside it.
YAML_DOCUMENTED_TYPES = ("filter", "test")


def plugins() -> list[tuple[str, str]]:
    """(ansible-doc type, FQCN) of every plugin in plugins/, and of every role in roles/."""
    found = []
    for folder, plugin_type in sorted(DOCUMENTED_PLUGIN_TYPES.items()):
        path = os.path.join(ROOT, "plugins", folder)
        if os.path.isdir(path):
            names = {name[:-3] for name in os.listdir(path) if name.endswith(".py") and name != "__init__.py"}
            if plugin_type in YAML_DOCUMENTED_TYPES:
                names |= {name[:-4] for name in os.listdir(path) if name.endswith(".yml")}
            found += [(plugin_type, f"{COLLECTION}.{name}") for name in sorted(names)]
    roles = os.path.join(ROOT, "roles")
    if os.path.isdir(roles):
        found += [
            ("role", f"{COLLECTION}.{name}")
            for name in sorted(os.listdir(roles))
            if os.path.isfile(os.path.join(roles, name, "meta", "argument_specs.yml"))
        ]
    return found


def generate_docs(copy: str, env: dict, destination: str) -> None:
    run(
        [
            tool("antsibull-docs"),
            "collection",
            "--use-current",
            "--squash-hierarchy",
            "--output-format",
            "simplified-rst",
            "--no-add-antsibull-docs-version",
            "--cleanup",
            "everything",
            "--dest-dir",
            destination,
            COLLECTION,
        ],
        cwd=copy,
        env=env,
    )


def read_tree(folder: str) -> dict[str, bytes]:
    files = {}
    for directory, _subdirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                files[os.path.relpath(path, folder)] = handle.read()
    return files


def gate_docs() -> None:
    copy, env = laid_out()
    for plugin_type, name in plugins():
        result = run([tool("ansible-doc"), "-t", plugin_type, "--json", name], cwd=copy, env=env, quiet=True)
        documented = json.loads(result.stdout).get(name, {})
        if not (documented.get("doc") or documented.get("entry_points")):
            raise GateFailure(f"ansible-doc -t {plugin_type} {name} returned no documentation")
        run([tool("ansible-doc"), "-t", plugin_type, name], cwd=copy, env=env, quiet=True)
    run([tool("antsibull-docs"), "lint-collection-docs", "--plugin-docs", "."], cwd=copy, env=env)
    with tempfile.TemporaryDirectory() as fresh:
        generate_docs(copy, env, fresh)
        wanted, committed = read_tree(fresh), read_tree(DOCS_DIR) if os.path.isdir(DOCS_DIR) else {}
    stale = sorted(name for name in set(wanted) | set(committed) if wanted.get(name) != committed.get(name))
    if stale:
        raise GateFailure(f"docs/modules/ is stale ({', '.join(stale)}): run `make docs` and commit the result")
    log(f"docs/modules/ is up to date ({len(wanted)} files, {len(plugins())} plugins)")


def gate_docs_write() -> None:
    copy, env = laid_out()
    os.makedirs(DOCS_DIR, exist_ok=True)
    generate_docs(copy, env, DOCS_DIR)
    log(f"wrote {DOCS_DIR}")


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
    unannounced = [name for _type, name in plugins() if name not in rendered]
    if unannounced:
        raise GateFailure(
            f"the trial changelog does not announce {', '.join(unannounced)}: give each new plugin "
            f"`version_added: {version}` in its DOCUMENTATION (not a fragment)"
        )
    log(f"trial release {version}: CHANGELOG.rst has the release summary and announces all {len(plugins())} plugins")


# ---------------------------------------------------------------- ansible-lint


def gate_lint() -> None:
    copy, env = laid_out()
    targets = os.path.join("tests", "integration", "targets")
    rulebooks = os.path.join("extensions", "eda", "rulebooks")
    lint = [tool("ansible-lint"), "--nocolor", "--offline", "-c", ".ansible-lint"]
    run(
        lint + ["examples", "roles", rulebooks, targets],
        cwd=copy,
        env=env,
    )


# ---------------------------------------------------------------- build


def dev_only_members(members: list[str]) -> list[str]:
    return sorted(
        m
        for m in members
        if any(m == p.rstrip("/") or m.startswith(p) for p in DEV_ONLY)
        or m.endswith(".pyc")
        or "/__pycache__" in m
        or m.startswith("__pycache__")
    )


def check_tarball(tarball: str) -> None:
    with tarfile.open(tarball) as tar:
        members = [m.lstrip("./") for m in tar.getnames()]
    unwanted = dev_only_members(members)
    missing = [name for name in SHIPPED if name not in members]
    log(f"{os.path.basename(tarball)}: {len(members)} entries")
    if unwanted:
        raise GateFailure(
            f"dev-only files in the tarball: {', '.join(unwanted[:20])}: add them to build_ignore in galaxy.yml"
        )
    if missing:
        raise GateFailure(f"the tarball lacks {', '.join(missing)}: check build_ignore in galaxy.yml")


def gate_build() -> None:
    copy = layout_collection()
    with tempfile.TemporaryDirectory() as scratch:
        output, collections = os.path.join(scratch, "dist"), os.path.join(scratch, "collections")
        env = collections_env(collections)
        run([tool("ansible-galaxy"), "collection", "build", copy, "--output-path", output], env=env)
        tarball = os.path.join(output, os.listdir(output)[0])
        check_tarball(tarball)
        run([tool("ansible-galaxy"), "collection", "install", tarball, "-p", collections, "--force"], env=env)
        installed = os.path.join(collections, "ansible_collections", "exoscale", "partner")
        run([tool("ansible-galaxy"), "collection", "list", COLLECTION, "-p", collections], env=env)
        run_demo(installed, env, scratch)


def run_demo(installed: str, env: dict, scratch: str) -> None:
    """The installed collection provisions the demo customers; a rerun changes nothing."""
    sys.path.insert(0, ROOT)
    from simulator.control import SimulatorProcess  # pylint: disable=import-outside-toplevel

    customers = load_yaml("examples", "customers.yml")["customers"]
    playbook = os.path.join(installed, "examples", "provision_customers.yml")
    with SimulatorProcess(key="EXOdemo", secret="demo-secret") as simulator:
        extra = json.dumps(
            {
                "ansible_python_interpreter": sys.executable,
                "exoscale_partner_api_key": "EXOdemo",
                "exoscale_partner_api_secret": "demo-secret",
                "exoscale_partner_api_url": simulator.url,
            }
        )
        command = [tool("ansible-playbook"), "-i", "localhost,", "-c", "local", playbook, "-e", extra]
        first = run(command, cwd=scratch, env=env)
        check_demo_creations(simulator.admin.requests(), customers)
        simulator.admin.clear_requests()
        second = run(command, cwd=scratch, env=env)
        check_demo_rerun(simulator.admin.requests(), customers)
    for name, result in (("first", first), ("second", second)):
        recap = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", result.stdout)
        if not recap:
            raise GateFailure(f"no clean PLAY RECAP in the {name} demo run")
        if name == "second" and recap.group(1) != "0":
            raise GateFailure(f"the rerun of the demo reported changed={recap.group(1)}; it must change nothing")
    log(
        f"installed collection ran the demo: {len(customers)} organizations created; rerun unchanged, "
        "and the simulator saw only one GET per customer plus the usage report"
    )


def check_demo_creations(requests: list[dict], customers: list[dict]) -> None:
    """The first demo run created each customer once, with its own client_id, and the simulator accepted it."""
    created = [r for r in requests if r.get("operation") == "create-distributor-organization"]
    sent = sorted(json.loads(r["body"]).get("client-id") for r in created if r.get("status") == 200)
    wanted = sorted(customer["client_id"] for customer in customers)
    if sent != wanted:
        raise GateFailure(
            f"the demo should create {wanted} once each; the simulator saw creations of {sent}: {created}"
        )


def check_demo_rerun(requests: list[dict], customers: list[dict]) -> None:
    """The rerun, read from the simulator's request log: no mutation, one lookup GET per customer, then the report.

    The report (partner_org_info usage=true) is one list plus one usage GET per organization.
    """
    problems = [r for r in requests if r["method"] != "GET" or r["status"] != 200]
    operations = collections.Counter(r["operation"] for r in requests)
    usage_paths = [r["path"] for r in requests if r["operation"] == "list-distributor-organization-usage"]
    expected = {
        "list-distributor-organizations": len(customers) + 1,
        "list-distributor-organization-usage": len(customers),
    }
    if problems or dict(operations) != expected or len(set(usage_paths)) != len(customers):
        raise GateFailure(
            f"the rerun of the demo must only read: one GET per customer ({len(customers)}) plus the usage report; "
            f"the simulator saw {dict(operations)} (expected {expected}); not GET 200: {problems}"
        )


GATES = {
    "metadata": gate_metadata,
    "docs": gate_docs,
    "docs-write": gate_docs_write,
    "changelog": gate_changelog,
    "lint": gate_lint,
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

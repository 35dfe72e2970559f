# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the partner_events tests: the collection laid out as installed, the source, a simulator."""

from __future__ import annotations

import os
import runpy
import shutil
import sys
import tempfile
import types

import pytest

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE_PATH = os.path.join("extensions", "eda", "plugins", "event_source", "partner_events.py")
KEY = "EXOeda0123456789abcdef"
SECRET = "eda-secret-never-in-events-9f3b"
BILLING = {
    "name": "Acme AG",
    "country": "CH",
    "city": "Zurich",
    "postal-code": "8001",
    "street-name": "Bahnhofstrasse",
    "building-number": "1",
}

if REPOSITORY_ROOT not in sys.path:
    sys.path.insert(0, REPOSITORY_ROOT)

from simulator.control import SimulatorProcess  # noqa: E402


@pytest.fixture(scope="session")
def collections_path():
    """A folder holding ansible_collections/exoscale/partner -> this checkout, as ansible-galaxy installs it."""
    root = tempfile.mkdtemp(prefix="eda-collections-")
    os.makedirs(os.path.join(root, "ansible_collections", "exoscale"))
    os.symlink(REPOSITORY_ROOT, os.path.join(root, "ansible_collections", "exoscale", "partner"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def source(collections_path):
    """The source file run the way ansible-rulebook runs it (runpy), from the installed layout."""
    path = os.path.join(collections_path, "ansible_collections", "exoscale", "partner", SOURCE_PATH)
    return types.SimpleNamespace(**runpy.run_path(path))


@pytest.fixture(scope="session")
def rules(source):
    """plugins/module_utils/_events.py, as the source imported it."""
    return sys.modules["ansible_collections.exoscale.partner.plugins.module_utils._events"]


@pytest.fixture(scope="session")
def simulator_process():
    with SimulatorProcess(key=KEY, secret=SECRET) as process:
        yield process


@pytest.fixture
def sim(simulator_process):
    """The shared simulator, empty; fails the test if it produced an answer that breaks the spec."""
    simulator_process.admin.reset()
    yield simulator_process
    assert simulator_process.admin.errors() == []


def seed(sim, name, status="active", client_id=None):
    """Seed an organization; its id."""
    spec = {"display-name": name, "billing-address": dict(BILLING, name=name), "status": status}
    if client_id:
        spec["client-id"] = client_id
    return sim.admin.seed_org(**spec)["id"]

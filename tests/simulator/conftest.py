# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared fixtures: one simulator process for the session, reset before every test."""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import sys
import tempfile
import threading

import pytest
import requests
from exoscale_auth import ExoscaleV2Auth

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if REPOSITORY_ROOT not in sys.path:
    sys.path.insert(0, REPOSITORY_ROOT)


def _make_collection_importable():
    """Our module_utils live at ansible_collections.exoscale.partner...; lay the repository out that way if needed."""
    try:
        if importlib.util.find_spec("ansible_collections.exoscale.partner.plugins.module_utils._client"):
            return
    except ImportError:
        pass
    root = tempfile.mkdtemp(prefix="simulator-tests-")
    atexit.register(shutil.rmtree, root, True)
    os.makedirs(os.path.join(root, "ansible_collections", "exoscale"))
    os.symlink(REPOSITORY_ROOT, os.path.join(root, "ansible_collections", "exoscale", "partner"))
    sys.path.insert(0, root)
    for name in [module for module in sys.modules if module.startswith("ansible_collections")]:
        del sys.modules[name]


_make_collection_importable()

from sim_support import KEY, NEW_ORG, OTHER_KEY, OTHER_SECRET, SECRET  # noqa: E402

from simulator.control import SimulatorProcess  # noqa: E402
from simulator.server import Simulator, SimulatorServer  # noqa: E402


@pytest.fixture(scope="session")
def simulator_process():
    with SimulatorProcess(key=KEY, secret=SECRET, extra_args=["--key", OTHER_KEY, "--secret", OTHER_SECRET]) as process:
        yield process


@pytest.fixture
def sim(simulator_process):
    """The shared simulator, empty; fails the test if it produced an answer that breaks the spec."""
    simulator_process.admin.reset()
    yield simulator_process
    assert simulator_process.admin.errors() == []


@pytest.fixture
def call(sim):
    """Send a correctly signed request (reference signer: requests-exoscale-auth) to the simulator."""
    session = requests.Session()

    def send(method, path, json=None, params=None, key=KEY, secret=SECRET, **kwargs):
        kwargs.setdefault("timeout", 10)
        return session.request(
            method, sim.url + path, json=json, params=params, auth=ExoscaleV2Auth(key, secret), **kwargs
        )

    yield send
    session.close()


@pytest.fixture
def org(sim):
    """Seed an active organization and return its output."""
    return sim.admin.seed_org(**NEW_ORG)


@pytest.fixture
def in_process():
    """A simulator served from this process, for tests that patch its internals."""
    simulator = Simulator({KEY: SECRET}, log_size=5)
    server = SimulatorServer("127.0.0.1", 0, simulator)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()

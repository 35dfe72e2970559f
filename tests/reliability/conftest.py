# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures: one simulator per pytest worker, reset before every test; module runs checked for leaks."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import KEY, SECRET, Api  # noqa: E402

harness.make_importable()

from simulator.control import SimulatorProcess  # noqa: E402


@pytest.fixture(scope="session")
def simulator():
    with SimulatorProcess(key=KEY, secret=SECRET) as sim:
        yield sim


@pytest.fixture
def api(simulator):
    simulator.admin.reset()
    yield Api(simulator)
    simulator.admin.clear_faults()

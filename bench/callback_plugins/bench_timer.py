# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark helper (not part of the collection): wall time of every task, written as JSON.

Enabled by bench/run.py with ANSIBLE_CALLBACKS_ENABLED=bench_timer; BENCH_TIMER_OUT names the file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: bench_timer
type: aggregate
short_description: Wall time of each task, for bench/run.py
description: Writes [{"task", "seconds"}] to the file named by E(BENCH_TIMER_OUT).
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.tasks = []
        self.current = None

    def _close(self):
        if self.current is not None:
            name, started = self.current
            self.tasks.append({"task": name, "seconds": time.monotonic() - started})
            self.current = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close()
        self.current = (task.get_name(), time.monotonic())

    def v2_playbook_on_play_start(self, play):
        self._close()

    def v2_playbook_on_stats(self, stats):
        self._close()
        with open(os.environ["BENCH_TIMER_OUT"], "w") as out:
            json.dump(self.tasks, out)

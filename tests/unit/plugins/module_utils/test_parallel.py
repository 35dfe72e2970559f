# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""_parallel.run_each with real threads, and one requests.Session per thread in the client."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

import pytest

from ansible_collections.exoscale.partner.plugins.module_utils import _client, _parallel


def test_outcomes_keep_input_order_and_errors_do_not_stop_others():
    def work(n):
        if n % 3 == 0:
            raise ValueError("bad %d" % n)
        return n * 10

    outcomes = _parallel.run_each(work, range(10), concurrency=4)

    assert [o.item for o in outcomes] == list(range(10))
    assert [o.value for o in outcomes if o.ok] == [10, 20, 40, 50, 70, 80]
    assert [str(o.error) for o in outcomes if not o.ok] == ["bad 0", "bad 3", "bad 6", "bad 9"]


def test_at_most_concurrency_workers_run_at_once():
    barrier = threading.Barrier(3, timeout=30)
    running, peak, lock = [0], [0], threading.Lock()

    def work(n):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        if n < 3:
            barrier.wait()  # the first three must be running together, or this raises after 30 s
        with lock:
            running[0] -= 1
        return threading.current_thread().name

    outcomes = _parallel.run_each(work, range(12), concurrency=3)

    assert all(o.ok for o in outcomes), outcomes
    assert peak[0] == 3
    assert len({o.value for o in outcomes}) <= 3


def test_concurrency_one_uses_the_calling_thread():
    outcomes = _parallel.run_each(lambda n: threading.current_thread(), [1, 2], concurrency=1)
    assert {o.value for o in outcomes} == {threading.current_thread()}


@pytest.mark.parametrize("value", [0, 33, -1, True, "4", 2.0])
def test_bad_concurrency_is_refused_naming_the_option(value):
    with pytest.raises(ValueError, match=r"^concurrency: expected a whole number from 1 to 32"):
        _parallel.validate_concurrency(value)


def test_client_gives_each_thread_its_own_session_and_closes_them_all():
    client = _client.Client("EXOkey", "secret", url="http://127.0.0.1:9/v1.alpha")
    all_started = threading.Barrier(4, timeout=30)

    def work(n):
        all_started.wait()  # four distinct threads, each asking for its session
        return client.session, client.session

    outcomes = _parallel.run_each(work, range(4), 4)
    main_session = client.session

    assert all(first is second for first, second in (o.value for o in outcomes))
    assert len({id(first) for first, _second in (o.value for o in outcomes)}) == 4
    assert main_session not in [first for first, _second in (o.value for o in outcomes)]
    client.close()
    assert client.session is not main_session

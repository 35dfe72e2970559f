# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Bounded concurrency inside one module run: the only place that starts threads.

Private to this collection: not a public API, may change in any release.
No Ansible import: a worker never calls exit_json/fail_json (they call sys.exit); the module's
main thread reads the outcomes after every worker is done and decides.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from concurrent.futures import ThreadPoolExecutor

MIN_CONCURRENCY = 1
MAX_CONCURRENCY = 32


class Attempt:
    """What work(item) gave: its value, or the exception it raised (never both)."""

    __slots__ = ("item", "value", "error")

    def __init__(self, item, value=None, error=None):
        self.item = item
        self.value = value
        self.error = error

    @property
    def ok(self):
        return self.error is None

    def __repr__(self):
        return "Attempt(item=%r, value=%r, error=%r)" % (self.item, self.value, self.error)


def validate_concurrency(value, field="concurrency"):
    """Raise ValueError naming the field unless MIN_CONCURRENCY <= value <= MAX_CONCURRENCY."""
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_CONCURRENCY <= value <= MAX_CONCURRENCY:
        raise ValueError(
            "%s: expected a whole number from %d to %d, got %r" % (field, MIN_CONCURRENCY, MAX_CONCURRENCY, value)
        )
    return value


def run_each(work, items, concurrency):
    """Call work(item) for every item, at most `concurrency` at a time; Attempts in the order of items.

    `concurrency` is already checked (validate_concurrency, where the option enters). Every item is
    attempted: an exception in one (any Exception) is recorded in its Attempt and does not stop the
    others. With concurrency 1 (or a single item) no thread is started.
    """
    items = list(items)
    if concurrency == 1 or len(items) <= 1:
        return [_attempt(work, item) for item in items]
    with ThreadPoolExecutor(max_workers=min(concurrency, len(items))) as pool:
        return list(pool.map(lambda item: _attempt(work, item), items))


def _attempt(work, item):
    try:
        return Attempt(item, value=work(item))
    except Exception as exc:  # noqa: BLE001 - recorded for the main thread, which reports it
        return Attempt(item, error=exc)

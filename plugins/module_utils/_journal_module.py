# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Ansible glue for the metering journal (partner_metering, partner_metering_info).

Private to this collection: not a public API, may change in any release.
The `journal` option (documented by the exoscale.partner.journal doc fragment), opening the store
before any API call, and the two modules' runs: each returns a _lifecycle.TaskResult, which
PartnerModule.run reports once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.exoscale.partner.plugins.module_utils import (
    _base,
    _journal,
    _journal_store,
    _lifecycle,
    _metering,
)

JOURNAL_ENV = "EXOSCALE_PARTNER_JOURNAL"


def journal_argument_spec():
    # no_log: a postgresql:// URL may hold a password. mask_journal_password() then unmasks a plain
    # path (so error messages can name it) and masks only the password.
    return dict(journal=dict(type="str", no_log=True, fallback=(env_fallback, [JOURNAL_ENV])))


def mask_journal_password(partner):
    """Mask only the password of the journal URL in the output, not the whole option."""
    location = partner.params.get("journal")
    if location:
        partner.module.no_log_values.discard(location)
        partner.module.no_log_values.update(_journal_store.url_password(location))


def journal_location(params):
    """The `journal` option, None for the default journal when not set or blank (AWX injects an empty
    EXOSCALE_PARTNER_JOURNAL when its credential's journal field is left empty)."""
    return (params.get("journal") or "").strip() or None


def open_journal_or_fail(partner, read_only):
    """The journal store for the module's `journal` option, or fail_json (before any API call)."""
    try:
        return _journal_store.open_journal(journal_location(partner.params), read_only=read_only)
    except _journal_store.MissingDriver as exc:
        partner.module.fail_json(msg="%s: %s" % (exc, missing_required_lib(exc.library)), exception=exc.traceback_text)
    except _journal.JournalError as exc:
        partner.fail("Cannot use the metering journal: %s" % exc)
    return None  # not reached: fail_json exits


def scrubber(partner):
    """A function removing the API secret from a text before it is written to the journal."""
    secret = partner.connection["api_secret"]

    def scrub(text):
        return text.replace(secret, "***") if secret else text

    return scrub


def run_metering(partner, metering_plan):
    """partner_metering: open the journal if a batch has a transaction id, then preview or send the plan."""
    store = open_journal_or_fail(partner, read_only=partner.check_mode) if metering_plan.uses_journal else None
    try:
        results = _metering.meter(
            metering_plan,
            store,
            partner.client,
            api_key=partner.connection["api_key"],
            scrub=scrubber(partner),
            explain_error=_base.explain,
            check_mode=partner.check_mode,
        )
    except _journal.JournalError as exc:  # the journal failed in the middle of the run
        return _lifecycle.TaskResult({}, failure="The metering journal failed: %s" % exc)
    finally:
        if store is not None:
            store.close()
    return _metering.task_result(metering_plan, results)


def list_journal(partner, filters):
    """partner_metering_info: the journal entries matching `filters` (see _journal.journal_filters)."""
    store = open_journal_or_fail(partner, read_only=True)
    try:
        transactions = [_journal.public_entry(entry) for entry in store.entries(**filters)]
    except _journal.JournalError as exc:
        return _lifecycle.TaskResult({}, failure="Cannot read the metering journal: %s" % exc)
    finally:
        store.close()
    return _lifecycle.TaskResult(dict(transactions=transactions, counts=_journal.count_states(transactions)))

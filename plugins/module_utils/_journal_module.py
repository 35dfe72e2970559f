# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Ansible glue for the metering journal option (partner_metering, partner_metering_info).

Private to this collection: not a public API, may change in any release.
Documented by the exoscale.partner.journal doc fragment.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.exoscale.partner.plugins.module_utils import _journal

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
        partner.module.no_log_values.update(_journal.url_password(location))


def open_journal(partner, read_only):
    """The journal store for the module's `journal` option, or fail_json before any API call."""
    try:
        return _journal.open_journal(partner.params.get("journal") or None, read_only=read_only)
    except _journal.MissingDriver as exc:
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

# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The metering journal option: plugins/module_utils/_journal_module.py journal_argument_spec().
    DOCUMENTATION = r"""
options:
  journal:
    description:
      - Where the metering journal lives, the record of every transaction ID sent (see
        U(https://github.com/exoscale/ansible-collection-partner/blob/main/docs/docsite/rst/metering.rst)).
      - A filesystem path on the host the module runs on (usually the controller) is a SQLite database
        (WAL mode, file mode C(0600)). The folder of an explicit path must exist, because a missing folder is
        usually a typo or a volume that is not mounted, and a fresh empty journal there would allow
        batches to be billed twice.
      - A V(postgresql://) URL (libpq connection string; password in the URL, E(PGPASSWORD) or
        C(~/.pgpass)) keeps the journal in a PostgreSQL database, shared by several controllers or AWX
        execution nodes. Needs the Python library C(psycopg) (version 3) on that host. The module creates
        its table C(partner_metering_journal) when missing and never drops anything.
      - If not set, the value of the E(EXOSCALE_PARTNER_JOURNAL) environment variable is used, else
        C(~/.ansible/exoscale.partner/metering.sqlite3) (its folder is created with mode C(0700)).
      - In AWX each job runs in a throw-away container, so the default file is lost after every job;
        use PostgreSQL or a persistent volume there.
      - Only a password in the URL is hidden in the output; the rest of the location is shown in messages.
    type: str
requirements:
  - psycopg >= 3.1 (only for a V(postgresql://) journal)
"""

# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Running an exo CLI account's secretCommand on the controller (the inventory plugin, the event source).

Private to this collection: not a public API, may change in any release. Modules run the command with
AnsibleModule.run_command instead (_base.PartnerModule); both are handed to _credentials.resolve_credentials.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import subprocess

TIMEOUT = 120  # seconds; a password manager may take a while to unlock


def run_secret_command(argv):
    """(exit status, standard output, standard error) of ``argv``, run without a shell and with an empty
    standard input; OSError when it cannot be started, TimeoutError after TIMEOUT seconds."""
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise TimeoutError("no answer within %g seconds" % TIMEOUT) from None
    return done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")

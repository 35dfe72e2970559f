# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Let the plugin loader find exoscale.partner plugins when pytest runs outside ansible-test.

ansible-test units installs Ansible's collection finder itself. A plain run
(PYTHONPATH=/tmp/coll pytest tests/unit) does not, and the finder must be installed before
anything imports ``ansible_collections``: this conftest, above every plugin type's tests, is
collected before any of them (the filter and inventory plugins need it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder


def _collections_parents():
    """sys.path entries holding ansible_collections/exoscale/partner."""
    return [
        entry
        for entry in sys.path
        if entry and os.path.isdir(os.path.join(entry, "ansible_collections", "exoscale", "partner"))
    ]


if not any(isinstance(finder, _AnsibleCollectionFinder) for finder in sys.meta_path):
    _AnsibleCollectionFinder(paths=_collections_parents())._install()

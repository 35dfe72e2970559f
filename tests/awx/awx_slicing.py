# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AWX job slicing, emulated for tests/awx/test_slicing.py and bench/run.py (slicing). Standard library only.

AWX syncs an inventory source with `ansible-inventory -i SOURCE --list --export` (the JSON given to
`awx_slice`), then runs slice k (from 1) of n as an ordinary job whose inventory is a script
printing that slice's share: the hosts ordered by name, k-1, k-1+n, k-1+2n, ... Groups keep only
the slice's hosts; variables (the exported group_vars) come along unchanged.
"""

from __future__ import annotations

import json
import os


def sync_command(source):
    """The arguments (after the Python or `ansible-inventory`) of AWX's inventory sync of `source`."""
    return ["-i", source, "--list", "--export"]


def awx_slice(synced, number, count):
    """(host names, inventory JSON) of slice `number` of `count`, from a synced inventory.

    Hosts and group members are in name order, so a slice's play handles its hosts in the order
    of the returned names.
    """
    if not 1 <= number <= count:
        raise ValueError("slice %d of %d: a slice number goes from 1 to the slice count" % (number, count))
    hostvars = synced["_meta"]["hostvars"]
    names = sorted(hostvars)[number - 1 :: count]
    kept = set(names)
    data = {"_meta": {"hostvars": {name: hostvars[name] for name in names}}}
    for group, content in synced.items():
        if group == "_meta":
            continue
        data[group] = dict(content)
        if "hosts" in content:
            data[group]["hosts"] = sorted(host for host in content["hosts"] if host in kept)
    return names, data


def write_slice_inventory(script, synced, number, count):
    """Write `script`, an executable inventory printing slice `number` of `count`; its host names.

    The JSON is inside the script (a quoted here-document on one line), so that an inventory folder
    holding the script holds no second source.
    """
    names, data = awx_slice(synced, number, count)
    with open(script, "w", encoding="utf-8") as handle:
        handle.write("#!/bin/sh\ncat <<'END_OF_SLICE'\n%s\nEND_OF_SLICE\n" % json.dumps(data))
    os.chmod(script, 0o755)
    return names

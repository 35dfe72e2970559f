# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check the JSON of `ansible-inventory --list` for the organizations seed.yml created."""

from __future__ import absolute_import, division, print_function

import json
import sys


def plain(value):
    """ansible-inventory shows plugin strings as {"__ansible_unsafe": "..."}."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def main(path, unreferenced_id_path):
    with open(path, encoding="utf-8") as listing:
        data = plain(json.load(listing))
    hostvars = data["_meta"]["hostvars"]
    with open(unreferenced_id_path, encoding="utf-8") as saved:
        unreferenced = saved.read().strip()
    japanese = "顧客-東京-_"  # letters of every script stay, the emoji became "_"
    expected = sorted(["crm-1", "crm_2_eu", japanese, unreferenced])
    assert sorted(hostvars) == expected, sorted(hostvars)
    assert hostvars["crm-1"]["partner_org"]["name"] == "Alpha", hostvars["crm-1"]
    assert hostvars["crm_2_eu"]["partner_org"]["client_id"] == "crm 2/eu"
    assert hostvars[unreferenced]["partner_org"]["name"] == "{{ 6 * 7 }} Corp"
    assert all(host["ansible_connection"] == "local" for host in hostvars.values())
    assert hostvars["crm_2_eu"]["customer_label"] == "Beta (suspended)"
    assert data["status_active"]["hosts"] == ["crm-1"]
    assert sorted(data["status_suspended"]["hosts"]) == sorted(["crm_2_eu", japanese])
    assert hostvars[japanese]["partner_org"]["client_id"] == "顧客-東京-🚀"
    assert hostvars[japanese]["customer_label"] == "株式会社テスト 🚀 (suspended)"
    assert data["country_jp"]["hosts"] == [japanese]
    assert data["country_at"]["hosts"] == ["crm_2_eu"]
    assert data["unreferenced"]["hosts"] == [unreferenced]
    print("inventory OK: %d hosts" % len(hostvars))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

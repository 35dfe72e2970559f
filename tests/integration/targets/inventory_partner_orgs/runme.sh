#!/usr/bin/env bash
# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The partner_orgs inventory plugin and the parallel convergence example, through the installed
# collection (ansible-test puts it on ANSIBLE_COLLECTIONS_PATH), against the local simulator.
set -eux

PYTHON="${ANSIBLE_TEST_PYTHON_INTERPRETER:-python}"
CTL=../setup_simulator/files/simulator_ctl.py
export EXOSCALE_API_KEY=EXOinventoryintegration000000
export EXOSCALE_API_SECRET=inventory-integration-secret-not-real

started="$("$PYTHON" "$CTL" start --ttl 600 -- --key "$EXOSCALE_API_KEY" --secret "$EXOSCALE_API_SECRET")"
field() { "$PYTHON" -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$started" "$1"; }
pid="$(field pid)"
out="$(mktemp -d)"
trap '"$PYTHON" "$CTL" stop --pid "$pid"; rm -rf "$out"' EXIT
EXOSCALE_PARTNER_API_URL="$(field api_url)"
export EXOSCALE_PARTNER_API_URL
collection_root="$(field root)"
extra=(-e "ansible_python_interpreter=$PYTHON" -e "partner_admin_url=$(field admin_url)" -e "out_dir=$out")

# Seed organizations, then read them through the plugin with ansible-inventory.
ansible-playbook seed.yml -i localhost, -c local "${extra[@]}"
ansible-inventory -i test.partner_orgs.yml --list --output "$out/inventory.json"
"$PYTHON" check_inventory.py "$out/inventory.json" "$out/unreferenced_id.txt"
# A non-ASCII host name works in a --limit pattern.
ansible -i test.partner_orgs.yml --list-hosts '顧客-東京-_' | tee "$out/limit.out"
grep -q "hosts (1)" "$out/limit.out"
# Errors are readable and never show the secret (a source that fails is only a warning by default).
if ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED=true EXOSCALE_API_SECRET=wrong-secret-value ansible-inventory -i test.partner_orgs.yml --list >"$out/bad.out" 2>&1; then
    echo "a wrong secret must fail"; exit 1
fi
grep -q "Failed to list the organizations of the distributor" "$out/bad.out"
if grep -q "inventory-integration-secret-not-real\|wrong-secret-value" "$out/bad.out"; then
    echo "the secret leaked into the error"; exit 1
fi

# One host per organization: suspend the active ones in parallel, then a no-op rerun.
ansible-playbook -i localhost, -c local reset_log.yml "${extra[@]}"
ansible-playbook -i test.partner_orgs.yml converge_inventory.yml --forks 5 "${extra[@]}"

# The static-inventory example: create, then rerun without changes, one GET per customer.
for run in create noop; do
    ansible-playbook -i localhost, -c local reset_log.yml "${extra[@]}"
    ansible-playbook -i "$collection_root/examples/inventory/customers.yml" \
        "$collection_root/examples/converge_customers.yml" --forks 3 | tee "$out/converge_$run.out"
    ansible-playbook -i localhost, -c local check_example.yml -e "run=$run" "${extra[@]}"
done
grep -Eq "crm-0001 +: ok=1 +changed=0" "$out/converge_noop.out"

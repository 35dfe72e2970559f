#!/usr/bin/env bash
# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# partner_org_info and the partner_orgs inventory with ONLY an exo CLI configuration (temporary HOME,
# EXOSCALE_CONFIG, EXOSCALE_ACCOUNT): no api_key/api_secret/api_url options nor environment variables.
# The simulator's request log tells which API key signed each request.
set -eux

PYTHON="${ANSIBLE_TEST_PYTHON_INTERPRETER:-python}"
CTL=../setup_simulator/files/simulator_ctl.py
KEY=EXOexocli00000000000000000000
SECRET=exo-cli-command-secret-not-real
DEFAULT_KEY=EXOexodefault0000000000000000
DEFAULT_SECRET=exo-cli-file-secret-not-real
unset EXOSCALE_API_KEY EXOSCALE_API_SECRET EXOSCALE_PARTNER_API_URL EXOSCALE_ACCOUNT EXOSCALE_CONFIG

started="$("$PYTHON" "$CTL" start --ttl 600 -- --key "$KEY" --secret "$SECRET" \
    --key "$DEFAULT_KEY" --secret "$DEFAULT_SECRET")"
field() { "$PYTHON" -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$started" "$1"; }
pid="$(field pid)"
api_url="$(field api_url)"
admin_url="$(field admin_url)"
home="$(mktemp -d)"
trap '"$PYTHON" "$CTL" stop --pid "$pid"; rm -rf "$home"' EXIT
export HOME="$home"
extra=(-i "localhost," -c local -e "ansible_python_interpreter=$PYTHON")

# The exo CLI's own location. The distributor account's secret comes from a command (argv, no shell).
mkdir -p "$home/.config/exoscale"
cat >"$home/.config/exoscale/exoscale.toml" <<TOML
defaultaccount = "default"

[[accounts]]
  name = "default"
  key = "$DEFAULT_KEY"
  secret = "$DEFAULT_SECRET"
  endpoint = "$api_url"
  defaultZone = "ch-gva-2"

[[accounts]]
  name = "distributor"
  key = "$KEY"
  secretCommand = ["$PYTHON", "-c", "print('$SECRET')"]
  endpoint = "$api_url"
TOML
"$PYTHON" sim_admin.py seed "$admin_url"

# The file's defaultaccount.
ansible-playbook info.yml "${extra[@]}"
"$PYTHON" sim_admin.py keys "$admin_url" "$DEFAULT_KEY"

# EXOSCALE_ACCOUNT picks the account (secretCommand), and wins over EXOSCALE_API_KEY/EXOSCALE_API_SECRET.
EXOSCALE_ACCOUNT=distributor EXOSCALE_API_KEY=EXOunknown EXOSCALE_API_SECRET=unknown-secret \
    ansible-playbook info.yml "${extra[@]}" -vvvv | tee "$home/module.out"
"$PYTHON" sim_admin.py keys "$admin_url" "$KEY"

# EXOSCALE_CONFIG: the file somewhere else (nothing at the default locations).
mv "$home/.config/exoscale/exoscale.toml" "$home/accounts.toml"
EXOSCALE_CONFIG="$home/accounts.toml" EXOSCALE_ACCOUNT=distributor ansible-playbook info.yml "${extra[@]}"
"$PYTHON" sim_admin.py keys "$admin_url" "$KEY"

# The inventory plugin reads the same configuration the same way.
EXOSCALE_CONFIG="$home/accounts.toml" EXOSCALE_ACCOUNT=distributor \
    ansible-inventory -i exo.partner_orgs.yml --list -vvvv --output "$home/inventory.json" | tee "$home/inventory.out"
grep -q '"crm-exo"' "$home/inventory.json"
"$PYTHON" sim_admin.py keys "$admin_url" "$KEY"
EXOSCALE_CONFIG="$home/accounts.toml" ansible-inventory -i exo.partner_orgs.yml --list --output "$home/default.json"
grep -q '"crm-exo"' "$home/default.json"
"$PYTHON" sim_admin.py keys "$admin_url" "$DEFAULT_KEY"

# An unknown account fails before any request, naming the file and the accounts there.
if EXOSCALE_CONFIG="$home/accounts.toml" EXOSCALE_ACCOUNT=prod ansible-playbook info.yml "${extra[@]}" \
    >"$home/unknown.out" 2>&1; then
    echo "an unknown account must fail"; exit 1
fi
grep -q "Account 'prod' not found in the exo CLI configuration $home/accounts.toml; its accounts: 'default', 'distributor'." \
    "$home/unknown.out"
"$PYTHON" sim_admin.py none "$admin_url"

# Neither secret shows at -vvvv.
if grep -q -e "$SECRET" -e "$DEFAULT_SECRET" "$home/module.out" "$home/inventory.out" "$home/unknown.out"; then
    echo "a secret from the exo CLI configuration leaked"; exit 1
fi

# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The API secret never shows: real ansible-playbook / ansible-inventory runs at -vvvv, successes and failures.

Ansible masks the values of no_log options in module results, which would also hide a leak made by the
module itself. So besides "the secret does not appear", these tests require that no value had to be
masked outside the module's own invocation record ("********" never appears), and the in-process runs of
the other suites check the raw exit_json/fail_json arguments before any masking (conftest.assert_clean).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import harness
import pytest
from harness import KEY, SECRET

BIN = os.path.dirname(sys.executable)
MASK_RE = re.compile(r"(?<!\*)\*{8}(?!\*)")  # Ansible's mask, not a banner line of stars

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  module_defaults:
    group/exoscale.partner.partner:
      api_url: "%(url)s"
      api_key: "%(key)s"
      api_secret: "%(secret)s"
      api_retries: 1
  tasks:
    - name: Create
      exoscale.partner.partner_org:
        client_id: crm-secret-1
        name: Secret Corp
        owner_email: owner@secret.example
        address: Main Street
        postcode: "8001"
        city: Zurich
        country: CH
      register: created
    - name: Info with usage, check mode and diff
      exoscale.partner.partner_org_info:
        client_id: crm-secret-1
        usage: true
      check_mode: true
      diff: true
    - name: Meter
      exoscale.partner.partner_metering:
        client_id: crm-secret-1
        usage: [{product: partner, variable: license_product, quantity: "1.5"}]
    - name: Script a failure after processing for the next metering call
      ansible.builtin.uri:
        url: "%(admin)s/faults"
        method: POST
        body_format: json
        body: {operation: metering-transaction, action: process_then_fail}
    - name: Meter, failing after the server applied it
      exoscale.partner.partner_metering:
        organization_id: "{{ created.organization.id }}"
        usage: [{product: partner, variable: license_product, quantity: 2}]
      ignore_errors: true
    - name: Bad input
      exoscale.partner.partner_org:
        client_id: crm-secret-2
        name: Bad Corp
        owner_email: no-at-sign
        address: Main Street
        postcode: "8001"
        city: Zurich
        country: CHE
      ignore_errors: true
    - name: Wrong key (403)
      exoscale.partner.partner_org_info:
        api_key: EXOunknown
      ignore_errors: true
    - name: Nothing listening
      exoscale.partner.partner_org_info:
        api_url: "http://127.0.0.1:9/v1.alpha"
      ignore_errors: true
    - name: Suspend then terminate with purge
      exoscale.partner.partner_org:
        id: "{{ created.organization.id }}"
        state: "{{ item }}"
        purge: "{{ item == 'terminated' }}"
      loop: [suspended, terminated]
      diff: true
"""


def ansible_env(tmp_path):
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=harness.collections_root(),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_DEPRECATION_WARNINGS="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
    )
    for name in harness.CREDENTIAL_ENV:
        env.pop(name, None)
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    return env


def run(command, tmp_path, env=None):
    return subprocess.run(
        command,
        cwd=str(tmp_path),
        env=env or ansible_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def assert_no_secret(text):
    assert SECRET not in text, "the secret leaked"
    assert "EXO2-HMAC-SHA256" not in text, "the Authorization header leaked"


def test_every_module_at_vvvv_never_shows_the_secret(api, tmp_path):
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK % dict(url=api.sim.url, admin=api.sim.admin_url, key=KEY, secret=SECRET))
    done = run(
        [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", "-vvvv", str(playbook)], tmp_path
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert re.search(
        r"localhost\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0\s+skipped=0\s+rescued=0\s+ignored=4", output
    ), output[-2000:]
    assert_no_secret(output)
    assert "Traceback (most recent call last)" not in output
    # Only the module's own invocation record shows the masked option; no other value needed masking.
    masked = [line for line in output.splitlines() if MASK_RE.search(line)]
    assert masked == [], masked[:5]
    assert output.count("VALUE_SPECIFIED_IN_NO_LOG_PARAMETER") >= 9  # -vvvv did print every invocation
    assert "MAY HAVE BEEN APPLIED" in output and "country: expected a 2-letter" in output
    assert "unknown API key" in output and "cannot connect to 127.0.0.1:9" in output
    assert len(api.admin.metering()) == 2  # the failed-after-processing batch was applied once, not replayed
    log = json.dumps(api.admin.requests())
    assert_no_secret(log)
    assert_no_secret(api.sim.stderr())  # its tracebacks of clients that hung up (timeout tests) are fine


def inventory_config(tmp_path, api, **options):
    path = tmp_path / "customers.partner_orgs.yml"
    settings = dict(
        dict(
            plugin="exoscale.partner.partner_orgs", api_url=api.sim.url, api_key=KEY, api_secret=SECRET, api_retries=1
        ),
        **options,
    )
    path.write_text(json.dumps(settings))
    return path


@pytest.mark.parametrize("failure", [None, "status", "auth"])
def test_inventory_plugin_at_vvvv_never_shows_the_secret(api, tmp_path, failure):
    api.seed(client_id="crm-inventory-1")
    options = {}
    if failure == "status":
        api.admin.add_fault(operation="list-distributor-organizations", action="status", status=503, count=10)
    if failure == "auth":
        options["api_key"] = "EXOunknown"
    config = inventory_config(tmp_path, api, **options)
    done = run([os.path.join(BIN, "ansible-inventory"), "-i", str(config), "--list", "-vvvv"], tmp_path)
    output = done.stdout + done.stderr
    assert_no_secret(output)
    assert "Traceback (most recent call last)" not in output
    if failure is None:
        assert done.returncode == 0 and "crm-inventory-1" in done.stdout, output[-3000:]
    else:
        assert "crm-inventory-1" not in done.stdout
        assert ("503" if failure == "status" else "403") in output, output[-3000:]


EXO_CLI_PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  module_defaults:
    group/exoscale.partner.partner:
      api_retries: 1
  tasks:
    - name: Create, credentials from the exo CLI account named by EXOSCALE_ACCOUNT
      exoscale.partner.partner_org:
        client_id: crm-exo-1
        name: Exo Corp
        owner_email: owner@exo.example
        address: Main Street
        postcode: "8001"
        city: Zurich
        country: CH
      diff: true
    - name: Info with usage, check mode and diff
      exoscale.partner.partner_org_info:
        client_id: crm-exo-1
        usage: true
      check_mode: true
      diff: true
    - name: Bad input
      exoscale.partner.partner_org_info:
        id: not-a-uuid
      ignore_errors: true
    - name: An account whose secret the API refuses (403)
      exoscale.partner.partner_org_info:
        api_account: wrong
      ignore_errors: true
    - name: An account that does not exist
      exoscale.partner.partner_org_info:
        api_account: prod
      ignore_errors: true
"""


def exo_cli_home(tmp_path, api, source):
    """A home directory whose exo CLI configuration holds the secret in the file or behind a secretCommand."""
    home = tmp_path / "home"
    (home / ".config" / "exoscale").mkdir(parents=True)
    if source == "file":
        secret = 'secret = "%s"' % SECRET
    else:
        secret = "secretCommand = %s" % json.dumps([sys.executable, "-c", "print(%r)" % SECRET])
    (home / ".config" / "exoscale" / "exoscale.toml").write_text(
        '[[accounts]]\nname = "distributor"\nkey = "%s"\n%s\nendpoint = "%s"\n'
        '[[accounts]]\nname = "wrong"\nkey = "%s"\nsecret = "wrong-secret-value"\nendpoint = "%s"\n'
        % (KEY, secret, api.sim.url, KEY, api.sim.url)
    )
    env = ansible_env(tmp_path)
    env.update(HOME=str(home), EXOSCALE_ACCOUNT="distributor")
    return env


@pytest.mark.parametrize("source", ["file", "secretCommand"])
def test_exo_cli_secrets_never_show_at_vvvv(api, tmp_path, source):
    env = exo_cli_home(tmp_path, api, source)
    playbook = tmp_path / "play.yml"
    playbook.write_text(EXO_CLI_PLAYBOOK)
    done = run(
        [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", "-vvvv", str(playbook)],
        tmp_path,
        env=env,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert re.search(r"localhost\s+: ok=\d+\s+changed=1\s+.*failed=0\s+.*ignored=3", output), output[-2000:]
    assert_no_secret(output)
    assert "wrong-secret-value" not in output
    assert "Traceback (most recent call last)" not in output
    assert [line for line in output.splitlines() if MASK_RE.search(line)] == []  # nothing had to be masked
    assert "Invalid parameters: id: expected a UUID" in output and "invalid request signature" in output
    assert "Account 'prod' not found in the exo CLI configuration" in output
    assert {entry["key"] for entry in api.admin.requests()} == {KEY}

    inventory = tmp_path / "exo.partner_orgs.yml"
    inventory.write_text("plugin: exoscale.partner.partner_orgs\napi_retries: 1\n")
    listed = run([os.path.join(BIN, "ansible-inventory"), "-i", str(inventory), "--list", "-vvvv"], tmp_path, env=env)
    output = listed.stdout + listed.stderr
    assert listed.returncode == 0 and "crm-exo-1" in listed.stdout, output[-3000:]
    assert_no_secret(output)
    assert [line for line in output.splitlines() if MASK_RE.search(line)] == []

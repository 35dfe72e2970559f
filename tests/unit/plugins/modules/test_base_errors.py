# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Failures name what was being done: the label travels with the error, not in shared state."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.exoscale.partner.plugins.module_utils import _base, _client
from ansible_collections.exoscale.partner.tests.unit.plugins.modules.conftest import api_error


def run_work(run_module, work):
    def main():
        partner = _base.PartnerModule({})
        partner.run(lambda: work(partner))

    return run_module(main, {})


def test_failure_of_a_call_names_that_call(run_module, fake_client):
    fake_client.errors["suspend_distributor_organization"] = api_error(_client.ExoscaleAPIServerException, 503, "busy")
    org_id = "3f1e0c7a-2a52-4c4e-9a55-0d5b3a1f4b11"
    fake_client.orgs.append({"id": org_id, "status": "active"})

    def work(partner):
        partner.client.list_distributor_organizations()
        partner.client.suspend_distributor_organization(id=org_id)

    result = run_work(run_module, work)

    assert result["failed"]
    assert result["msg"].startswith("Failed to suspend organization %s: HTTP 503: busy" % org_id)
    assert result["status"] == 503


def test_failure_outside_call_is_not_labelled_with_the_last_call(run_module, fake_client):
    def work(partner):
        partner.client.list_distributor_organizations()
        raise api_error(_client.ExoscaleAPIServerException, 502, "bad gateway")  # raised with no label

    result = run_work(run_module, work)

    assert result["failed"]
    assert "list organizations" not in result["msg"]
    assert result["msg"].startswith("Failed to %s: HTTP 502: bad gateway" % _base.DOING_UNKNOWN)


def test_a_module_that_does_not_use_the_api_needs_no_credentials_and_has_no_client(run_module, fake_client):
    seen = {}

    def main():
        partner = _base.PartnerModule({}, uses_api=False)
        seen["api_url"] = partner.params["api_url"]
        try:
            partner.fail("a client: %r" % partner.client)
        except RuntimeError as exc:
            partner.fail(str(exc))

    result = run_module(main, {"api_url": "http://127.0.0.1:9/other"}, credentials=False)

    assert seen["api_url"] == "http://127.0.0.1:9/other"
    assert result["failed"] and "does not use the API" in result["msg"]
    assert fake_client.calls == []


def test_the_module_parameters_are_never_rewritten_in_place(run_module, fake_client):
    upper = "3F1E0C7A-2A52-4C4E-9A55-0D5B3A1F4B11"

    def main():
        partner = _base.PartnerModule({"id": {"type": "str"}}, uuid_options=("id",))
        partner.fail("seen", given=partner.module.params["id"], used=partner.params["id"])

    result = run_module(main, {"id": upper})

    assert (result["given"], result["used"]) == (upper, upper.lower())

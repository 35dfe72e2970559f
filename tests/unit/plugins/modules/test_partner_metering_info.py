# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.exoscale.partner.plugins.module_utils import _base, _client
from ansible_collections.exoscale.partner.plugins.modules import partner_metering, partner_metering_info
from ansible_collections.exoscale.partner.tests.unit.plugins.modules.conftest import api_error, make_org
from ansible_collections.exoscale.partner.tests.unit.plugins.modules.test_partner_metering import (
    MeteringFakeClient,
    entry,
)
from ansible_collections.exoscale.partner.tests.unit.plugins.modules.test_partner_metering_journal import ORG_A, ORG_B


@pytest.fixture
def fake_client(monkeypatch):
    client = MeteringFakeClient(orgs=[make_org(id=ORG_A, client_id="c1"), make_org(id=ORG_B, client_id="c2")])
    monkeypatch.setattr(_base, "build_client", lambda params: client)
    return client


@pytest.fixture
def journal(tmp_path, run_module, fake_client, monkeypatch):
    """A journal with c1/2026-01 applied, c1/2026-02 uncertain, c2/2026-01 applied."""
    monkeypatch.delenv("EXOSCALE_PARTNER_JOURNAL", raising=False)
    path = str(tmp_path / "journal.sqlite3")
    for transaction_id, org in (("c1/2026-01", ORG_A), ("c1/2026-02", ORG_A), ("c2/2026-01", ORG_B)):
        if transaction_id == "c1/2026-02":
            fake_client.errors["metering_transaction"] = api_error(
                _client.ExoscaleAPIServerException, 503, "unavailable", maybe_processed=True
            )
        run_module(
            partner_metering.main,
            dict(organization_id=org, transaction_id=transaction_id, usage=[entry("1.50")], journal=path),
        )
    return path


def listed(run_module, **args):
    result = run_module(partner_metering_info.main, args, credentials=False)
    assert result["failed"] is False, result
    assert result["changed"] is False
    return [t["transaction_id"] for t in result["transactions"]], result


def test_lists_everything_oldest_first(run_module, journal):
    ids, result = listed(run_module, journal=journal)
    assert ids == ["c1/2026-01", "c1/2026-02", "c2/2026-01"]
    assert result["counts"] == {"applied": 2, "uncertain": 1}
    first = result["transactions"][0]
    assert first["usage"] == [{"product": "partner", "variable": "license_product", "quantity": "1.5"}]
    assert first["api_key"] == "EXOkey" and first["attempts"] == 1 and first["applied_at"]
    assert "batch_hash" not in first


@pytest.mark.parametrize(
    "args, expected",
    [
        (dict(state=["uncertain", "pending"]), ["c1/2026-02"]),
        (dict(transaction_id="c2/2026-01"), ["c2/2026-01"]),
        (dict(transaction_prefix="c1/"), ["c1/2026-01", "c1/2026-02"]),
        (dict(organization_id=ORG_B.upper()), ["c2/2026-01"]),
        (dict(since="2999-01-01"), []),
        (dict(since="2000-01-01T00:00:00Z", state=["applied"]), ["c1/2026-01", "c2/2026-01"]),
    ],
)
def test_filters(run_module, journal, args, expected):
    assert listed(run_module, journal=journal, **args)[0] == expected


def test_check_mode_is_the_same(run_module, journal):
    result = run_module(partner_metering_info.main, dict(journal=journal), check_mode=True, credentials=False)
    assert len(result["transactions"]) == 3


def test_a_missing_journal_lists_nothing_and_creates_nothing(run_module, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("EXOSCALE_PARTNER_JOURNAL", raising=False)
    ids, result = listed(run_module)
    assert ids == [] and result["counts"] == {}
    assert not os.path.exists(str(tmp_path / ".ansible"))


@pytest.mark.parametrize(
    "args, match",
    [
        (dict(since="last week"), "since"),
        (dict(organization_id="nope"), "organization_id"),
        (dict(state=["lost"]), "state"),
        (dict(transaction_id="a", transaction_prefix="b"), "mutually exclusive"),
    ],
)
def test_bad_filters(run_module, journal, args, match):
    result = run_module(partner_metering_info.main, dict(journal=journal, **args), credentials=False)
    assert result["failed"] is True and match in result["msg"]


def test_a_corrupt_journal_fails_clearly(run_module, tmp_path):
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(b"nonsense" * 1000)
    result = run_module(partner_metering_info.main, dict(journal=str(path)), credentials=False)
    assert result["failed"] is True and "not a SQLite database" in result["msg"]


def test_blank_options_filter_nothing_and_a_blank_journal_is_the_default(run_module, journal, tmp_path, monkeypatch):
    """As before the module took PartnerModule: no blank check; AWX may inject an empty journal."""
    monkeypatch.setenv("HOME", str(tmp_path))
    default = tmp_path / ".ansible" / "exoscale.partner"
    default.mkdir(parents=True)
    os.replace(journal, str(default / "metering.sqlite3"))
    ids, result = listed(run_module, journal=" ", transaction_prefix="")
    assert ids == ["c1/2026-01", "c1/2026-02", "c2/2026-01"]
    assert listed(run_module, journal="", transaction_id="")[0] == []

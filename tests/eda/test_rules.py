# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure rules of partner_events (plugins/module_utils/_events.py), without event loop or HTTP."""

from __future__ import annotations

import datetime
import decimal

import jinja2
import pytest

NOW = datetime.datetime(2026, 1, 10, 12, 0, 0, 123456, tzinfo=datetime.timezone.utc)
A = {"id": "00000000-0000-4000-8000-00000000000a", "status": "active", "name": "A"}
B = {"id": "00000000-0000-4000-8000-00000000000b", "status": "active", "name": "B"}
C = {"id": "00000000-0000-4000-8000-00000000000c", "status": "created", "name": "C"}

HOSTILE = [
    "{{ 7 * 7 }}",
    "{{ lookup('env', 'EXOSCALE_API_SECRET') }}",
    "{% if true %}evaluated{% endif %}",
    "{# hidden #}shown",
    "{{{ nested }}}",
    "{%raw%}{{ x }}{%endraw%}",
    "plain text, 'quotes' and } braces {",
    "",
]


def test_observed_at_is_iso_utc_to_the_millisecond(rules):
    assert rules.iso_milliseconds(NOW) == "2026-01-10T12:00:00.123Z"
    assert rules.parse_iso("2026-01-10T12:00:00.123Z") == NOW.replace(microsecond=123000)
    assert rules.event("x", NOW, a=1) == {"type": "x", "observed_at": "2026-01-10T12:00:00.123Z", "a": 1}


def test_first_list_is_a_silent_baseline(rules):
    events, snapshot = rules.organization_events(None, [A, B], NOW)
    assert events == [] and snapshot == {A["id"]: A, B["id"]: B}


def test_organization_changes(rules):
    previous = {A["id"]: A, B["id"]: B}
    suspended = dict(A, status="suspended")
    events, snapshot = rules.organization_events(previous, [suspended, C], NOW)
    assert [(e["type"], e["organization"]["id"]) for e in events] == [
        ("status_changed", A["id"]),
        ("organization_added", C["id"]),
        ("organization_removed", B["id"]),
    ]
    assert events[0]["previous_status"] == "active" and events[0]["organization"]["status"] == "suspended"
    assert events[2]["organization"] == B  # as last seen
    assert rules.organization_events(snapshot, [suspended, C], NOW)[0] == []  # once


def test_other_field_changes_are_not_status_changes(rules):
    events, _snapshot = rules.organization_events({A["id"]: A}, [dict(A, name="A renamed")], NOW)
    assert events == []


@pytest.mark.parametrize("text", HOSTILE)
def test_template_inert_renders_back_to_the_original(rules, text):
    escaped = rules.template_inert(text)
    assert jinja2.Environment().from_string(escaped).render() == text
    assert rules.template_inert({"a": [text, 7, None]}) == {"a": [escaped, 7, None]}


def test_template_inert_leaves_ordinary_text_alone(rules):
    assert rules.template_inert("Acme AG {x} 100%") == "Acme AG {x} 100%"
    assert rules.template_inert("{{") == "{{ '{{' }}"


@pytest.mark.parametrize(
    "value, words",
    [
        ({"CHF": "lots"}, "usage_thresholds.CHF: expected a number"),
        ({"CHF": "-1"}, "negative"),
        ({"Swiss francs": "500"}, "not a currency code"),
        ({"CHF": True}, "expected a number"),
        ({"CHF": []}, "at least one"),
        (["CHF", "500"], "mapping"),
    ],
)
def test_bad_thresholds(rules, value, words):
    with pytest.raises(ValueError, match=words):
        rules.parse_thresholds(value)


def test_thresholds_are_exact_decimals(rules):
    assert rules.parse_thresholds({"CHF": ["1000", 500, "500.00"], "EUR": 0.1}) == {
        "CHF": [decimal.Decimal("500"), decimal.Decimal("1000")],
        "EUR": [decimal.Decimal("0.1")],
    }


def record(currency, total):
    return {"currency": currency, "total_excl_vat": total, "usage": []}


def test_threshold_is_reached_exactly_and_once(rules):
    thresholds = rules.parse_thresholds({"CHF": ["500", "1000"]})
    events, keys = rules.threshold_events(A, "2026-01", [record("CHF", "499.99999")], thresholds, set(), NOW)
    assert events == [] and keys == []
    events, keys = rules.threshold_events(A, "2026-01", [record("CHF", "500.00")], thresholds, set(), NOW)
    assert [(e["currency"], e["total_excl_vat"], e["threshold"], e["period"]) for e in events] == [
        ("CHF", "500.00", "500", "2026-01")
    ]
    assert keys == ["%s|2026-01|CHF|500" % A["id"]]
    again, _keys = rules.threshold_events(A, "2026-01", [record("CHF", "1000.1")], thresholds, set(keys), NOW)
    assert [e["threshold"] for e in again] == ["1000"]


def test_thresholds_never_add_currencies(rules):
    thresholds = rules.parse_thresholds({"CHF": "500"})
    records = [record("CHF", "300"), record("EUR", "300"), record("CHF", "0.1"), record("CHF", "199.9")]
    assert rules.totals_by_currency(records) == {"CHF": decimal.Decimal("500.0"), "EUR": decimal.Decimal("300")}
    events, _keys = rules.threshold_events(A, "2026-01", records, thresholds, set(), NOW)
    assert [(e["currency"], e["total_excl_vat"]) for e in events] == [("CHF", "500.0")]


def test_a_new_month_starts_afresh(rules):
    keys = ["%s|2025-12|CHF|500" % A["id"], "%s|2026-01|CHF|500" % A["id"]]
    assert rules.current_threshold_keys(keys, "2026-01") == [keys[1]]


def test_usage_is_due_after_its_interval(rules):
    assert rules.usage_due(None, NOW, 3600)
    assert not rules.usage_due(rules.iso_milliseconds(NOW), NOW + datetime.timedelta(seconds=3599), 3600)
    assert rules.usage_due(rules.iso_milliseconds(NOW), NOW + datetime.timedelta(seconds=3600), 3600)


def test_live_organizations_skip_terminated(rules):
    snapshot = {A["id"]: A, B["id"]: dict(B, status="terminated"), C["id"]: C}
    assert [org["id"] for org in rules.live_organizations(snapshot)] == [A["id"], C["id"]]
    assert rules.live_organizations(None) == []


def entry(transaction_id, state, attempts=1):
    return {"transaction_id": transaction_id, "state": state, "attempts": attempts}


def in_flight(item, now):
    return item.get("young", False)


def public(item):
    return dict(item, public=True)


def test_unsettled_transactions_once_per_state_and_attempt(rules):
    entries = [entry("t-1", "uncertain"), dict(entry("t-2", "pending"), young=True), entry("t-3", "pending")]
    events, keys = rules.metering_events(entries, None, NOW, in_flight, public)
    assert events == [] and keys == ["t-1|uncertain|1", "t-3|pending|1"]  # baseline
    entries.append(entry("t-4", "uncertain"))
    events, keys = rules.metering_events(entries, keys, NOW, in_flight, public)
    assert [e["transaction"]["transaction_id"] for e in events] == ["t-4"]
    assert events[0]["transaction"]["public"] is True
    assert rules.metering_events(entries, keys, NOW, in_flight, public)[0] == []
    # t-1 resent (resolve=not_applied) and uncertain again: another attempt, reported again
    events, keys = rules.metering_events([entry("t-1", "uncertain", attempts=2)], keys, NOW, in_flight, public)
    assert [e["transaction"]["attempts"] for e in events] == [2] and keys == ["t-1|uncertain|2"]


def test_an_outage_is_reported_once_then_its_recovery_once(rules):
    outages = {}
    first, outages = rules.failed(outages, "list_organizations", "HTTP 503", NOW)
    assert first["type"] == "api_error" and first["error"] == "HTTP 503" and first["operation"] == "list_organizations"
    assert rules.failed(outages, "list_organizations", "HTTP 502", NOW)[0] is None
    recovered, outages = rules.succeeded(outages, "list_organizations", NOW)
    assert recovered["type"] == "api_recovered" and recovered["since"] == first["observed_at"]
    assert outages == {} and rules.succeeded(outages, "list_organizations", NOW)[0] is None


def test_next_wait_honours_retry_after(rules):
    assert rules.next_wait(1, None) == 1
    assert rules.next_wait(1, 120.0) == 120.0
    assert rules.next_wait(60, 5) == 60


@pytest.mark.parametrize("value", [0, 0.5, -1, "60", True, None, float("nan"), float("inf")])
def test_bad_seconds(rules, value):
    with pytest.raises(ValueError, match="interval"):
        rules.seconds(value, "interval")


def test_state_of_another_endpoint_or_version_is_refused(rules):
    state = rules.new_state("http://a")
    assert rules.checked_state(state, "http://a", "f") == state
    with pytest.raises(ValueError, match="one state file per endpoint"):
        rules.checked_state(state, "http://b", "f")
    with pytest.raises(ValueError, match="not a partner_events state file"):
        rules.checked_state({"version": 99}, "http://a", "f")


def test_scrub(rules):
    assert rules.scrub("key s3cr3t in text", ["s3cr3t", None, ""]) == "key *** in text"

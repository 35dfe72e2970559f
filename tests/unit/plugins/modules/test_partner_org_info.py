# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

import pytest

from ansible_collections.exoscale.partner.plugins.module_utils import _base, _client
from ansible_collections.exoscale.partner.plugins.modules.partner_org_info import main
from ansible_collections.exoscale.partner.tests.unit.plugins.modules.conftest import FakeClient, api_error, make_org

ORG_A = "11111111-1111-4111-8111-111111111111"
ORG_B = "22222222-2222-4222-8222-222222222222"
ORG_C = "33333333-3333-4333-8333-333333333333"
MISSING = "44444444-4444-4444-8444-444444444444"

ORGS = [
    make_org(id=ORG_A, status="active", name="Alpha", client_id="cust-1"),
    make_org(id=ORG_B, status="suspended", name="Beta", client_id="cust-2"),
    make_org(id=ORG_C, status="terminated", name="Alpha", client_id="cust-1"),
]


def usage_record(org_id, quantity):
    line = dict(
        product="partner",
        variable="license_product",
        description=org_id,
        quantity=quantity,
        unit="unit",
        total_excl_vat=1.5,
        total_incl_vat=1.62,
    )
    return dict(
        code="U1",
        currency="CHF",
        total_excl_vat=1.5,
        total_incl_vat=1.62,
        start_date="2026-01-01T00:00:00Z",
        end_date="2026-01-31T23:59:59Z",
        usage=[line],
    )


class UsageFakeClient(FakeClient):
    """The shared fake plus the usage endpoint: one distinct record per organization."""

    def list_distributor_organization_usage(self, id, period=None):
        self._record("list_distributor_organization_usage", id=id, period=period)
        self._find(id)
        return self._answer("list_distributor_organization_usage", [usage_record(id, 0.3)])


@pytest.fixture
def fake_client(monkeypatch):
    client = UsageFakeClient(orgs=ORGS)
    monkeypatch.setattr(_base, "build_client", lambda params: client)
    return client


def ids(result):
    return [org["id"] for org in result["organizations"]]


def test_no_filter_returns_all_with_one_list_call(run_module, fake_client):
    result = run_module(main, {})
    assert result["failed"] is False
    assert result["changed"] is False
    assert result["organizations"] == ORGS
    assert fake_client.calls == [("list_distributor_organizations", {})]


@pytest.mark.parametrize(
    "args, expected",
    [
        (dict(client_id="cust-1"), [ORG_A, ORG_C]),
        (dict(name="Beta"), [ORG_B]),
        (dict(name="beta"), []),
        (dict(status=["active", "suspended"]), [ORG_A, ORG_B]),
        (dict(status=["created"]), []),
        (dict(status=[]), [ORG_A, ORG_B, ORG_C]),
        (dict(client_id="cust-1", status=["terminated"]), [ORG_C]),
        (dict(name="Alpha", client_id="cust-2"), []),
        (dict(client_id="nobody"), []),
    ],
)
def test_filters_narrow_one_list_call(run_module, fake_client, args, expected):
    assert ids(run_module(main, args)) == expected
    assert fake_client.calls == [("list_distributor_organizations", {})]


def test_id_makes_one_get(run_module, fake_client):
    result = run_module(main, dict(id=ORG_B))
    assert result["organizations"] == [ORGS[1]]
    assert fake_client.calls == [("get_distributor_organization", {"id": ORG_B})]


@pytest.mark.parametrize(
    "args, expected",
    [
        (dict(status=["active"]), []),
        (dict(status=["suspended"], name="Beta", client_id="cust-2"), [ORG_B]),
        (dict(client_id="cust-1"), []),
    ],
)
def test_id_with_other_filters_still_narrows(run_module, fake_client, args, expected):
    assert ids(run_module(main, dict(args, id=ORG_B))) == expected
    assert [call[0] for call in fake_client.calls] == ["get_distributor_organization"]


def test_unknown_id_is_an_empty_list_not_a_failure(run_module, fake_client):
    result = run_module(main, dict(id=MISSING))
    assert result["failed"] is False
    assert result["organizations"] == []
    assert fake_client.calls == [("get_distributor_organization", {"id": MISSING})]


def test_invalid_id_fails_before_any_call(run_module, fake_client):
    result = run_module(main, dict(id="not-a-uuid"))
    assert result["failed"] is True
    assert "id: expected a UUID" in result["msg"]
    assert fake_client.calls == []


def test_other_api_errors_fail_and_say_what_was_done(run_module, fake_client):
    fake_client.errors["get_distributor_organization"] = api_error(_client.ExoscaleAPIServerException, 500, "boom")
    result = run_module(main, dict(id=ORG_A))
    assert result["failed"] is True
    assert "get organization %s" % ORG_A in result["msg"]
    assert "boom" in result["msg"]
    assert result["status"] == 500


@pytest.mark.parametrize("period", ["2026-13", "2026-00", "202601", "2026-1", "26-01", "2026-01-01", "jan", ""])
def test_bad_period_fails_before_any_call(run_module, fake_client, period):
    result = run_module(main, dict(usage=True, period=period))
    assert result["failed"] is True
    # The client's input error (an ExoscaleAPIClientException) is reported as bad input, not as an API failure.
    assert result["msg"].startswith("Invalid parameters: period: "), result["msg"]
    assert fake_client.calls == []


def test_usage_adds_one_call_per_matched_org(run_module, fake_client):
    result = run_module(main, dict(client_id="cust-1", usage=True, period="2026-01"))
    assert ids(result) == [ORG_A, ORG_C]
    for org in result["organizations"]:
        assert org["usage"] == [usage_record(org["id"], 0.3)]
    assert fake_client.calls == [
        ("list_distributor_organizations", {}),
        ("list_distributor_organization_usage", {"id": ORG_A, "period": "2026-01"}),
        ("list_distributor_organization_usage", {"id": ORG_C, "period": "2026-01"}),
    ]


def test_usage_without_period_leaves_the_default_to_the_api(run_module, fake_client):
    result = run_module(main, dict(id=ORG_A, usage=True))
    assert result["organizations"][0]["usage"] == [usage_record(ORG_A, 0.3)]
    assert fake_client.calls[1] == ("list_distributor_organization_usage", {"id": ORG_A, "period": None})


def test_usage_error_fails_naming_the_org(run_module, fake_client):
    fake_client.errors["list_distributor_organization_usage"] = api_error(
        _client.ExoscaleAPIAuthException, 403, "forbidden"
    )
    result = run_module(main, dict(id=ORG_A, usage=True))
    assert result["failed"] is True
    assert "usage of organization %s" % ORG_A in result["msg"]


def test_without_usage_no_usage_key_and_no_usage_call(run_module, fake_client):
    result = run_module(main, dict(period="2026-01"))
    assert all("usage" not in org for org in result["organizations"])
    assert [call[0] for call in fake_client.calls] == ["list_distributor_organizations"]


def test_check_mode_reads_the_same_and_changes_nothing(run_module, fake_client):
    result = run_module(main, dict(status=["active"], usage=True), check_mode=True)
    assert result["failed"] is False
    assert result["changed"] is False
    assert ids(result) == [ORG_A]
    assert result["organizations"][0]["usage"] == [usage_record(ORG_A, 0.3)]
    assert fake_client.mutating_calls == []


def test_invalid_status_is_rejected_by_ansible(run_module, fake_client):
    result = run_module(main, dict(status=["deleted"]))
    assert result["failed"] is True
    assert "status" in result["msg"]
    assert fake_client.calls == []


def test_an_upper_case_id_finds_the_organization(run_module, fake_client):
    # UUIDs are case-insensitive; the API answers in lower case. Before the fix this returned [].
    fake_client.orgs.append(make_org(id="abcdef12-3456-4789-8abc-def123456789", name="Hex"))

    result = run_module(main, {"id": "ABCDEF12-3456-4789-8ABC-DEF123456789"})

    assert [org["name"] for org in result["organizations"]] == ["Hex"]
    assert fake_client.calls == [("get_distributor_organization", {"id": "abcdef12-3456-4789-8abc-def123456789"})]


# -- several periods, in parallel -----------------------------------------------------------------


class PeriodFakeClient(UsageFakeClient):
    """Usage per (organization, period); `failing` pairs raise a 503; `barrier` makes calls meet in threads."""

    def __init__(self, orgs, failing=(), barrier=None):
        super(PeriodFakeClient, self).__init__(orgs=orgs)
        self.failing = set(failing)
        self.barrier = barrier
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0

    def list_distributor_organization_usage(self, id, period=None):
        with self.lock:
            self.calls.append(("list_distributor_organization_usage", {"id": id, "period": period}))
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.barrier is not None:
                self.barrier.wait()  # raises BrokenBarrierError unless `parties` calls run at the same time
            if (id, period) in self.failing:
                raise api_error(_client.ExoscaleAPIServerException, 503, "usage store unavailable")
            return [dict(usage_record(id, 0.3), code="%s/%s" % (id, period))]
        finally:
            with self.lock:
                self.in_flight -= 1


def use(monkeypatch, client):
    monkeypatch.setattr(_base, "build_client", lambda params: client)
    return client


def test_periods_are_sorted_unique_and_keyed_per_org(run_module, monkeypatch):
    client = use(monkeypatch, PeriodFakeClient(ORGS))
    result = run_module(
        main, dict(status=["active", "suspended"], usage=True, periods=["2026-02", "2026-01", "2026-02"])
    )
    assert result["failed"] is False
    assert ids(result) == [ORG_A, ORG_B]
    for org in result["organizations"]:
        assert list(org["usage_by_period"]) == ["2026-01", "2026-02"]
        assert [records[0]["code"] for records in org["usage_by_period"].values()] == [
            "%s/2026-01" % org["id"],
            "%s/2026-02" % org["id"],
        ]
        assert "usage" not in org
    assert sorted(kwargs["period"] for name, kwargs in client.calls if name.endswith("usage")) == [
        "2026-01",
        "2026-01",
        "2026-02",
        "2026-02",
    ]
    assert result["usage_errors"] == []


def test_one_period_in_periods_also_gives_usage(run_module, monkeypatch):
    use(monkeypatch, PeriodFakeClient(ORGS))
    result = run_module(main, dict(id=ORG_A, usage=True, periods=["2026-01"]))
    [org] = result["organizations"]
    assert org["usage"] == org["usage_by_period"]["2026-01"]


def test_period_and_periods_are_mutually_exclusive(run_module, monkeypatch):
    client = use(monkeypatch, PeriodFakeClient(ORGS))
    result = run_module(main, dict(usage=True, period="2026-01", periods=["2026-02"]))
    assert result["failed"] is True
    assert "period" in result["msg"] and "periods" in result["msg"]
    assert client.calls == []


@pytest.mark.parametrize("args", [dict(periods=["2026-01", "2025-13"]), dict(concurrency=0), dict(concurrency=33)])
def test_bad_periods_or_concurrency_fail_before_any_call(run_module, monkeypatch, args):
    client = use(monkeypatch, PeriodFakeClient(ORGS))
    result = run_module(main, dict(usage=True, **args))
    assert result["failed"] is True
    assert ("2025-13" in result["msg"]) or ("concurrency" in result["msg"])
    assert client.calls == []


@pytest.mark.parametrize("concurrency", [2, 4])
def test_usage_requests_run_concurrency_at_a_time(run_module, monkeypatch, concurrency):
    orgs = [make_org(name="Org %d" % n) for n in range(4)]
    barrier = threading.Barrier(concurrency, timeout=10)
    client = use(monkeypatch, PeriodFakeClient(orgs, barrier=barrier))
    result = run_module(main, dict(usage=True, periods=["2026-01", "2026-02"], concurrency=concurrency))
    assert result["failed"] is False, result
    assert client.most_in_flight == concurrency
    assert [org["name"] for org in result["organizations"]] == ["Org 0", "Org 1", "Org 2", "Org 3"]


def test_failed_usage_fails_the_task_naming_each_pair(run_module, monkeypatch):
    use(monkeypatch, PeriodFakeClient(ORGS, failing={(ORG_B, "2026-02"), (ORG_A, "2026-01")}))
    result = run_module(main, dict(usage=True, periods=["2026-01", "2026-02"]))
    assert result["failed"] is True
    assert "2 organization/month pairs" in result["msg"]
    assert "%s (Alpha) for 2026-01" % ORG_A in result["msg"] and "%s (Beta) for 2026-02" % ORG_B in result["msg"]
    assert [(f["id"], f["period"], f["status"]) for f in result["usage_errors"]] == [
        (ORG_A, "2026-01", 503),
        (ORG_B, "2026-02", 503),
    ]


def test_on_usage_error_continue_returns_the_others_and_lists_the_failure(run_module, monkeypatch):
    use(monkeypatch, PeriodFakeClient(ORGS, failing={(ORG_B, "2026-02")}))
    result = run_module(main, dict(usage=True, periods=["2026-01", "2026-02"], on_usage_error="continue"))
    assert result["failed"] is False
    alpha, beta, gamma = result["organizations"]
    assert list(alpha["usage_by_period"]) == ["2026-01", "2026-02"] and "usage_errors" not in alpha
    assert list(beta["usage_by_period"]) == ["2026-01"]
    assert beta["usage_errors"] == [
        {"period": "2026-02", "status": 503, "msg": "HTTP 503: usage store unavailable"},
    ]
    assert result["usage_errors"] == [dict(beta["usage_errors"][0], id=ORG_B, name="Beta")]
    assert any("Beta" in warning for warning in result["warnings"])

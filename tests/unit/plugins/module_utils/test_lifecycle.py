# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The lifecycle rules alone: no HTTP, no Ansible; the executor runs against a recording client."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import uuid

import pytest

from ansible_collections.exoscale.partner.plugins.module_utils import _client, _lifecycle
from ansible_collections.exoscale.partner.tests.unit.plugins.modules.conftest import labelled

CREATE = dict(
    name="Customer Corp",
    owner_email="admin@customer.example",
    address="Main Street",
    postcode="8001",
    city="Zurich",
    country="CH",
)


def org(status="active", **fields):
    result = dict(
        id=str(uuid.uuid4()),
        status=status,
        name="Customer Corp",
        client_id=None,
        address="Main Street",
        building_number=None,
        postcode="8001",
        city="Zurich",
        country="CH",
    )
    result.update(fields)
    return result


def entry(**fields):
    result = dict.fromkeys(_lifecycle.ENTRY_OPTIONS)
    result.update(state="active", purge=False)
    result.update(fields)
    return result


class RecordingClient:
    """A stand-in for the client: answers like the API, records (operation, kwargs), can fail once per
    operation; its errors are labelled as the real client labels them."""

    def __init__(self, orgs=(), create_status="active"):
        self.orgs = [dict(o) for o in orgs]
        self.create_status = create_status
        self.calls = []
        self.failures = {}
        self.apply_then_fail = set()

    def _call(self, operation, answer, **kwargs):
        self.calls.append((operation, kwargs))
        failure = self.failures.pop(operation, None)
        if failure is not None and operation not in self.apply_then_fail:
            raise labelled(failure, operation, kwargs)
        result = answer(**kwargs)
        if failure is not None:
            raise labelled(failure, operation, kwargs)
        return result

    def list_distributor_organizations(self):
        return self._call("list_distributor_organizations", lambda: {"organizations": [dict(o) for o in self.orgs]})

    def create_distributor_organization(self, **fields):
        return self._call("create_distributor_organization", self._create, **fields)

    def _create(self, **fields):
        created = dict(_client.organization_preview(**fields), id=str(uuid.uuid4()), status=self.create_status)
        self.orgs.append(created)
        return dict(created)

    def _set(self, id, status):
        found = next(o for o in self.orgs if o["id"] == id)
        found["status"] = status
        return dict(found)

    def activate_distributor_organization(self, id):
        return self._call("activate_distributor_organization", lambda id: self._set(id, "active"), id=id)

    def suspend_distributor_organization(self, id):
        return self._call("suspend_distributor_organization", lambda id: self._set(id, "suspended"), id=id)

    def terminate_distributor_organization(self, id):
        def terminate(id):
            self._set(id, "terminated")
            return {"message": "terminated"}

        return self._call("terminate_distributor_organization", terminate, id=id)

    def schedule_purge_distributor_organization(self, id):
        return self._call("schedule_purge_distributor_organization", lambda id: {"message": "scheduled"}, id=id)


def server_error(maybe_processed=True):
    return _client.ExoscaleAPIServerException("HTTP 503: busy", status=503, maybe_processed=maybe_processed)


# --- the one lookup by client ID ----------------------------------------------------------------


def test_live_organization_by_client_id_skips_terminated_ones():
    alive = org(client_id="c")
    orgs = [org("terminated", client_id="c"), alive, org(client_id="other")]
    assert _lifecycle.live_organization_by_client_id(orgs, "c") is alive


def test_live_organization_by_client_id_names_the_terminated_ones_when_none_is_live():
    gone = org("terminated", client_id="c", name="Old Corp")
    with pytest.raises(_lifecycle.NoSuchOrganization) as caught:
        _lifecycle.live_organization_by_client_id([gone], "c")
    assert str(caught.value) == (
        "client_id 'c': no organization that is not terminated has this client ID; only terminated ones: "
        "%s (status terminated, name 'Old Corp'). Check the client ID or use organization_id." % gone["id"]
    )


def test_live_organization_by_client_id_without_any_match():
    with pytest.raises(_lifecycle.NoSuchOrganization) as caught:
        _lifecycle.live_organization_by_client_id([org(client_id="other")], "c")
    assert str(caught.value) == (
        "client_id 'c': no organization that is not terminated has this client ID. "
        "Check the client ID or use organization_id."
    )


def test_live_organization_by_client_id_refuses_to_guess_between_live_ones():
    first, second = org(client_id="c", name="A"), org("suspended", client_id="c", name="B")
    with pytest.raises(_lifecycle.AmbiguousOrganization) as caught:
        _lifecycle.live_organization_by_client_id([first, second], "c")
    assert str(caught.value) == (
        "client_id 'c' matches 2 organizations that are not terminated: %s (status active, name 'A'), "
        "%s (status suspended, name 'B'). Use organization_id to choose one." % (first["id"], second["id"])
    )
    assert caught.value.ids == sorted([first["id"], second["id"]])


# --- validation ------------------------------------------------------------------------------


def test_validate_entry_makes_the_id_canonical():
    upper = str(uuid.uuid4()).upper()
    assert _lifecycle.validate_entry(entry(id=upper))["id"] == upper.lower()


@pytest.mark.parametrize(
    "fields, message",
    [
        (dict(), "organizations[3]: one of id, client_id or name is required"),
        (dict(id=str(uuid.uuid4()), client_id="c"), "organizations[3]: id and client_id are mutually exclusive"),
        (dict(client_id="c", purge=True), "organizations[3]: purge=true requires state=terminated"),
        (dict(id="nope"), "organizations[3].id: expected a UUID"),
        (dict(client_id="c", country="Switzerland"), "organizations[3].country: expected a 2-letter"),
        (dict(client_id="c", owner_email="nobody"), "organizations[3].owner_email: expected an email"),
        (dict(client_id="c", name="x" * 192), "organizations[3].display_name: at most 191"),
        (dict(client_id="c", state="gone"), "organizations[3].state: expected one of"),
        (dict(client_id="  "), "organizations[3].client_id: must not be empty or blank"),
        (dict(client_id="c", name=""), "organizations[3].name: must not be empty or blank"),
        (dict(client_id="c", building_number="\t"), "organizations[3].building_number: must not be empty or blank"),
    ],
)
def test_validate_entry_names_the_entry_and_field(fields, message):
    with pytest.raises(ValueError) as caught:
        _lifecycle.validate_entry(entry(**fields), "organizations[3]")
    assert str(caught.value).startswith(message)


def test_validate_entry_accepts_non_ascii_text():
    checked = _lifecycle.validate_entry(entry(client_id="c", name="Grüße 株式会社 🚀", city="Zürich"))
    assert checked["name"] == "Grüße 株式会社 🚀"


def test_missing_to_create():
    assert _lifecycle.missing_to_create(entry(client_id="c", name="X", city="Bern")) == [
        "owner_email",
        "address",
        "postcode",
        "country",
    ]
    assert _lifecycle.missing_to_create(entry(client_id="c", **CREATE)) == []


# --- lookup ------------------------------------------------------------------------------------


def test_lookup_order_is_id_then_client_id_then_name():
    assert _lifecycle.lookup_key(entry(id="i", client_id="c", name="n")) == ("id", "i")
    assert _lifecycle.lookup_key(entry(client_id="c", name="n")) == ("client_id", "c")
    assert _lifecycle.lookup_key(entry(name="n")) == ("name", "n")


def test_find_by_id_must_exist():
    with pytest.raises(_lifecycle.NoSuchOrganization, match="No organization with id"):
        _lifecycle.find_current([org()], entry(id=str(uuid.uuid4())))


def test_find_by_id_returns_even_a_terminated_one():
    terminated = org("terminated")
    assert _lifecycle.find_current([terminated], entry(id=terminated["id"])) is terminated


@pytest.mark.parametrize("state", ("active", "suspended"))
def test_terminated_ones_are_ignored_for_live_states(state):
    dead, alive = org("terminated", client_id="c"), org("suspended", client_id="c")
    assert _lifecycle.find_current([dead], entry(client_id="c", state=state)) is None
    assert _lifecycle.find_current([dead, alive], entry(client_id="c", state=state)) is alive


def test_one_terminated_match_counts_as_terminated():
    dead = org("terminated", client_id="c")
    assert _lifecycle.find_current([dead], entry(client_id="c", state="terminated")) is dead
    twins = [dead, org("terminated", client_id="c")]
    assert _lifecycle.find_current(twins, entry(client_id="c", state="terminated")) is None


@pytest.mark.parametrize("key", ("client_id", "name"))
def test_ambiguity_is_refused_listing_the_ids(key):
    twins = [org(client_id="c", name="n"), org(client_id="c", name="n")]
    with pytest.raises(_lifecycle.AmbiguousOrganization) as caught:
        _lifecycle.find_current(twins, entry(**{key: twins[0][key]}))
    assert caught.value.ids == sorted(t["id"] for t in twins)
    assert all(t["id"] in str(caught.value) for t in twins)


# --- planning ----------------------------------------------------------------------------------


def test_plan_refuses_to_bring_back_a_terminated_organization():
    with pytest.raises(_lifecycle.TerminatedOrganization, match="cannot become active again"):
        _lifecycle.plan_actions(org("terminated"), "active")


def test_plan_entry_refuses_create_without_fields():
    with pytest.raises(_lifecycle.LifecycleError, match="creating one requires: owner_email"):
        _lifecycle.plan_entry(None, entry(client_id="c", name="X", address="A", postcode="1", city="B", country="CH"))
    assert _lifecycle.plan_entry(None, entry(client_id="c", state="terminated")) == []


def test_drift_compares_the_given_billing_fields_only():
    current = org(name="Old", country="CH")
    drift = _lifecycle.find_drift(current, entry(client_id="c", name="New", country="ch", city=None))
    assert drift == {"name": {"current": "Old", "desired": "New"}}
    assert _lifecycle.find_drift(current, entry(client_id="c", name="New", state="terminated")) == {}
    assert _lifecycle.find_drift(None, entry(client_id="c", name="New")) == {}


def test_duplicate_entries_by_id_client_id_and_name():
    same_id = str(uuid.uuid4())
    entries = [
        entry(client_id="a"),
        entry(client_id="b"),
        entry(client_id="a"),
        entry(id=same_id),
        entry(id=same_id),
        entry(name="n"),
        entry(name="n"),
        entry(client_id="z", name="n"),  # found by client_id: its name may repeat
    ]
    problems = _lifecycle.duplicate_entries(entries)
    assert sorted(problems) == [2, 4, 6]
    assert problems[2] == "client_id 'a' is already given by organizations[0]"


def test_plan_set_creates_activates_suspends_terminates():
    suspended = org("suspended", client_id="s")
    active = org("active", client_id="a")
    going = org("active", client_id="t")
    created = org("created", client_id="cr")
    plan = _lifecycle.plan_set(
        [suspended, active, going, created],
        [
            entry(client_id="new", **CREATE),
            entry(client_id="s", state="active"),
            entry(client_id="a", state="suspended"),
            entry(client_id="t", state="terminated", purge=True),
            entry(client_id="cr"),
            entry(client_id="gone", state="terminated"),
        ],
    )
    assert [t.actions for t in plan.targets] == [
        ["create"],
        ["activate"],
        ["suspend"],
        ["terminate", "schedule_purge"],
        ["activate"],
        [],
    ]
    assert [t.current for t in plan.targets] == [None, suspended, active, going, created, None]
    assert plan.errors == [] and plan.unlisted == []


@pytest.mark.parametrize(
    "unlisted, expected",
    [("keep", []), ("suspend", [["suspend"], ["suspend"]]), ("terminate", [["terminate"]] * 3)],
)
def test_plan_set_unlisted_touches_only_unlisted_live_ones(unlisted, expected):
    listed = org("active", client_id="mine")
    others = [org("active"), org("created"), org("suspended")]
    dead = org("terminated")
    plan = _lifecycle.plan_set([listed, dead] + others, [entry(client_id="mine")], unlisted)
    assert [u.actions for u in plan.unlisted] == expected
    touched = {u.organization["id"] for u in plan.unlisted}
    assert listed["id"] not in touched and dead["id"] not in touched
    if unlisted == "suspend":
        assert touched == {others[0]["id"], others[1]["id"]}


def test_plan_set_terminated_entry_match_is_not_unlisted():
    dead = org("terminated", client_id="d")
    plan = _lifecycle.plan_set([dead], [entry(client_id="d", state="terminated")], "terminate")
    assert plan.unlisted == [] and plan.targets[0].current is dead


def test_plan_set_reports_every_entry_it_cannot_plan():
    twins = [org(client_id="twin"), org(client_id="twin")]
    dead = org("terminated")
    listed = org(client_id="x", name="Same")
    plan = _lifecycle.plan_set(
        twins + [dead, listed],
        [
            entry(client_id="twin"),
            entry(id=str(uuid.uuid4())),
            entry(id=dead["id"]),
            entry(client_id="new", name="Only a name"),
            entry(client_id="x"),
            entry(name="Same"),
            entry(client_id="fine", **CREATE),
        ],
    )
    errors = dict(plan.errors)
    assert sorted(errors) == [0, 1, 2, 3, 5]
    assert "refusing to guess" in errors[0]
    assert "No organization with id" in errors[1]
    assert "cannot become active again" in errors[2]
    assert "creating one requires" in errors[3]
    assert errors[5] == "organization %s is already designated by organizations[4]" % listed["id"]


def test_plan_set_drift_is_not_an_action():
    current = org(client_id="c", name="Old")
    plan = _lifecycle.plan_set([current], [entry(client_id="c", name="New")])
    assert plan.targets[0].actions == [] and plan.targets[0].drift == {"name": {"current": "Old", "desired": "New"}}


# --- executor ----------------------------------------------------------------------------------


def test_converge_check_mode_sends_nothing_and_predicts():
    client = RecordingClient()
    wanted = entry(client_id="c", state="suspended", **CREATE)
    predicted, done, error = _lifecycle.converge(client, None, ["create", "suspend"], wanted, check_mode=True)
    assert client.calls == [] and error is None and done == ["create", "suspend"]
    assert predicted["id"] is None and predicted["status"] == "suspended" and predicted["client_id"] == "c"


def test_converge_activates_what_the_api_creates_as_created():
    client = RecordingClient(create_status="created")
    result, done, error = _lifecycle.converge(client, None, ["create"], entry(client_id="c", **CREATE))
    assert error is None and done == ["create", "activate"] and result["status"] == "active"


def test_converge_returns_an_error_with_what_was_done_before_it():
    client = RecordingClient()
    client.failures["suspend_distributor_organization"] = server_error()
    wanted = entry(client_id="c", state="suspended", **CREATE)
    result, done, error = _lifecycle.converge(client, None, ["create", "suspend"], wanted)
    assert done == ["create"] and result["status"] == "active" and result["id"] == client.orgs[0]["id"]
    assert error.doing == "suspend organization %s" % result["id"]


def test_create_after_a_maybe_processed_error_finds_it_again_by_client_id():
    client = RecordingClient()
    client.failures["create_distributor_organization"] = server_error()
    client.apply_then_fail.add("create_distributor_organization")
    result, done, error = _lifecycle.converge(client, None, ["create"], entry(client_id="c", **CREATE))
    assert error is None and done == ["create"] and len(client.orgs) == 1 and result["id"] == client.orgs[0]["id"]
    assert [name for name, dummy in client.calls] == [
        "create_distributor_organization",
        "list_distributor_organizations",
    ]


def test_create_that_was_not_processed_is_not_found_again():
    client = RecordingClient()
    client.failures["create_distributor_organization"] = server_error()
    dummy, done, error = _lifecycle.converge(client, None, ["create"], entry(client_id="c", **CREATE))
    assert done == [] and "0 organizations with client_id 'c' found afterwards" in error.doing


def test_create_without_client_id_cannot_be_found_again():
    client = RecordingClient()
    client.failures["create_distributor_organization"] = server_error()
    dummy, done, error = _lifecycle.converge(client, None, ["create"], entry(**CREATE))
    assert "duplicate" in error.doing and len(client.calls) == 1


def test_create_refused_by_the_api_is_not_looked_up():
    client = RecordingClient()
    client.failures["create_distributor_organization"] = server_error(maybe_processed=False)
    dummy, done, error = _lifecycle.converge(client, None, ["create"], entry(client_id="c", **CREATE))
    assert error.doing == "create organization 'Customer Corp'" and len(client.calls) == 1


def test_the_rules_import_no_ansible_and_no_http():
    with open(_lifecycle.__file__) as source:
        tree = ast.parse(source.read())
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module]
    assert not [name for name in imported if name.startswith(("ansible.", "requests", "urllib", "http"))]
    assert "ansible_collections.exoscale.partner.plugins.module_utils" in imported  # _client only


# --- the tasks: a TaskResult, and what the client returned is never changed ----------------------


class UsageClient(RecordingClient):
    """Answers usage requests; `failing` periods fail with a 503."""

    def __init__(self, orgs, failing=()):
        super(UsageClient, self).__init__(orgs)
        self.failing = set(failing)
        self.answered = []

    def get_distributor_organization(self, id):
        found = next(o for o in self.orgs if o["id"] == id)
        self.answered.append(found)
        return found

    def list_distributor_organizations(self):
        self.answered.extend(self.orgs)
        return {"organizations": self.orgs}  # the same dicts each time: a mutation would show

    def list_distributor_organization_usage(self, id, period=None):
        if period in self.failing:
            raise server_error()
        return [dict(code="%s/%s" % (id, period))]


def info_options(**options):
    result = dict(id=None, client_id=None, name=None, status=None, usage=True, period=None, periods=None)
    result.update(concurrency=1, on_usage_error="continue")
    result.update(options)
    return result


def test_list_organizations_attaches_usage_to_copies_never_to_what_the_client_returned():
    orgs = [org(client_id="a"), org(client_id="b")]
    pristine = [dict(o) for o in orgs]
    client = UsageClient(orgs, failing={"2026-02"})

    result = _lifecycle.list_organizations(client, info_options(periods=["2026-02", "2026-01"]), str)

    assert client.orgs == pristine and client.answered
    first = result.values["organizations"][0]
    assert first["usage_by_period"] == {"2026-01": [dict(code="%s/2026-01" % orgs[0]["id"])]}
    assert first["usage_errors"] == [dict(period="2026-02", msg="HTTP 503: busy", status=503)]
    assert [(e["id"], e["period"]) for e in result.values["usage_errors"]] == [
        (orgs[0]["id"], "2026-02"),
        (orgs[1]["id"], "2026-02"),
    ]
    assert result.failure is None and len(result.warnings) == 2


def test_list_organizations_fails_naming_every_failed_month_when_asked_to():
    client = UsageClient([org(client_id="a")], failing={"2026-01"})
    result = _lifecycle.list_organizations(client, info_options(period="2026-01", on_usage_error="fail"), str)
    assert result.failure.startswith("Failed to list the usage of organization %s" % client.orgs[0]["id"])
    assert result.values["status"] == 503 and result.warnings == []


def test_list_organizations_filters_with_the_lookup_rules():
    wanted = org(client_id="a", status="suspended")
    orgs = [wanted, org(client_id="a"), org(client_id="b", status="suspended")]
    result = _lifecycle.list_organizations(
        UsageClient(orgs), info_options(client_id="a", status=["suspended"], usage=False), str
    )
    assert result.values == dict(organizations=[wanted])


def test_ensure_organization_predicts_in_check_mode_and_reports_drift():
    current = org(client_id="c", name="Old Name")
    client = RecordingClient([current])
    options = entry(client_id="c", name="New Name", state="suspended")

    result = _lifecycle.ensure_organization(client, options, check_mode=True)

    assert [name for name, dummy in client.calls] == ["list_distributor_organizations"]
    assert result.changed and result.values["actions"] == ["suspend"]
    assert result.values["drift"] == {"name": {"current": "Old Name", "desired": "New Name"}}
    assert result.diff == dict(before=current, after=dict(current, status="suspended"))
    assert len(result.warnings) == 1 and client.orgs == [current]


def test_converge_organizations_sends_nothing_for_a_bad_list():
    client = RecordingClient([org(client_id="c")])
    options = dict(
        organizations=[entry(client_id="c"), entry(client_id="c")],
        unlisted="terminate",
        unlisted_confirm=False,
        concurrency=0,
    )

    result = _lifecycle.converge_organizations(client, options, False, str)

    assert client.calls == [] and result.failure.startswith("Invalid parameters (nothing was sent): ")
    assert [problem.split(":")[0] for problem in result.values["errors"]] == [
        "organizations[1]",
        "unlisted=terminate terminates every organization the list misses and cannot be undone",
        "concurrency",
    ]

# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The organization lifecycle rules: lookup, planning, drift, validation and duplicate-safe creation.

Private to this collection: not a public API, may change in any release.
Pure functions over the snake_case organization dicts the client returns, plus `converge`, a small
executor that performs a plan through the client's methods. No Ansible import and no HTTP detail:
`partner_org` (one organization) and `partner_orgs` (a whole list) both declare their work with these.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.exoscale.partner.plugins.module_utils import _client

TERMINATED = "terminated"
STATES = ("active", "suspended", TERMINATED)
KEYS = ("id", "client_id", "name")
REQUIRED_TO_CREATE = ("name", "owner_email", "address", "postcode", "city", "country")
BILLING_FIELDS = ("name", "address", "building_number", "postcode", "city", "country")
CREATE_FIELDS = REQUIRED_TO_CREATE + ("building_number", "client_id")
ENTRY_FIELDS = ("id",) + CREATE_FIELDS + ("state", "purge")
TEXT_FIELDS = ("id",) + CREATE_FIELDS  # never valid empty or blank (an empty key would match nothing or anything)
STATUS_AFTER = {"activate": "active", "suspend": "suspended", "terminate": TERMINATED}
ASSUMED_CREATE_STATUS = "active"  # what check mode predicts; the API's choice is not documented


class LifecycleError(ValueError):
    """A rule refuses the request (the message says what to do); nothing was sent because of it."""


class NoSuchOrganization(LifecycleError):
    """An organization addressed by id does not exist, or no live one has the client ID asked for."""


class AmbiguousOrganization(LifecycleError):
    """Several organizations match one key; `ids` lists them."""

    def __init__(self, message, ids):
        super(AmbiguousOrganization, self).__init__(message)
        self.ids = ids


class TerminatedOrganization(LifecycleError):
    """A terminated organization was asked to become active or suspended again."""


# ---------------------------------------------------------------------------------------------
# Validation (before any request)
# ---------------------------------------------------------------------------------------------


def validate_entry(entry, where=""):
    """The entry with its id canonical (lower case); ValueError naming `where` + the field.

    `entry` has the options of partner_org (missing ones None). Checks what needs no request: no blank
    text, one key given, id and client_id not both, purge only with state terminated, every given
    field as create would check it.
    """
    whole = where + ": " if where else ""
    field = where + "." if where else ""
    entry = dict(entry)
    blank = [name for name in TEXT_FIELDS if isinstance(entry.get(name), str) and not entry[name].strip()]
    if blank:
        raise ValueError("%s%s: must not be empty or blank" % (field, blank[0]))
    if all(entry.get(key) is None for key in KEYS):
        raise ValueError("%sone of id, client_id or name is required to find the organization" % whole)
    if entry.get("id") is not None and entry.get("client_id") is not None:
        raise ValueError("%sid and client_id are mutually exclusive: an organization is addressed by one key" % whole)
    if entry.get("state", "active") not in STATES:
        raise ValueError("%sstate: expected one of %s, got %r" % (field, ", ".join(STATES), entry.get("state")))
    if entry.get("purge") and entry.get("state") != TERMINATED:
        raise ValueError("%spurge=true requires state=terminated" % whole)
    try:
        if entry.get("id") is not None:
            entry["id"] = _client.validate_uuid(entry["id"], "id")
        _client.validate_organization_fields(**creation_fields(entry))
    except ValueError as exc:
        raise ValueError(field + str(exc)) from None
    return entry


def lookup_key(entry):
    """(field, value) the entry is found by: id, else client_id, else name."""
    key = next(key for key in KEYS if entry.get(key) is not None)
    return key, entry[key]


def describe_key(entry):
    return "%s %r" % lookup_key(entry)


def creation_fields(entry):
    """The fields of the entry that create sends (the client validates and shapes them)."""
    return {field: entry[field] for field in CREATE_FIELDS if entry.get(field) is not None}


def missing_to_create(entry):
    """The fields create needs that the entry lacks (an empty list when it can create)."""
    return [field for field in REQUIRED_TO_CREATE if entry.get(field) is None]


# ---------------------------------------------------------------------------------------------
# Lookup
# ---------------------------------------------------------------------------------------------


def matching(orgs, key, value):
    """The organizations whose `key` (id, client_id or name) equals `value`."""
    return [org for org in orgs if org[key] == value]


def live(orgs):
    """The organizations that are not terminated."""
    return [org for org in orgs if org["status"] != TERMINATED]


def live_matches(orgs, key, value):
    """The organizations whose `key` equals `value` and that are not terminated: the one core of every
    lookup by client ID (live_organization_by_client_id, designated, create's second look)."""
    return live(matching(orgs, key, value))


def describe_organizations(orgs):
    """'<id> (status s, name 'n'), ...' for messages that let the user choose."""
    return ", ".join("%s (status %s, name %r)" % (org["id"], org["status"], org["name"]) for org in orgs)


def live_organization_by_client_id(orgs, client_id):
    """The one organization of `orgs` with this client ID that is not terminated.

    NoSuchOrganization when there is none (naming the terminated ones), AmbiguousOrganization when several.
    """
    alive = live_matches(orgs, "client_id", client_id)
    if len(alive) == 1:
        return alive[0]
    if len(alive) > 1:
        raise AmbiguousOrganization(
            "client_id %r matches %d organizations that are not terminated: %s. "
            "Use organization_id to choose one." % (client_id, len(alive), describe_organizations(alive)),
            sorted(org["id"] for org in alive),
        )
    same_client = matching(orgs, "client_id", client_id)
    terminated = "; only terminated ones: %s" % describe_organizations(same_client) if same_client else ""
    raise NoSuchOrganization(
        "client_id %r: no organization that is not terminated has this client ID%s. "
        "Check the client ID or use organization_id." % (client_id, terminated)
    )


def single(matches, described):
    """The one organization of `matches`, None for none; AmbiguousOrganization when several."""
    if len(matches) > 1:
        ids = sorted(org["id"] for org in matches)
        raise AmbiguousOrganization(
            "%d organizations match %s (ids: %s); refusing to guess. Use id to choose one."
            % (len(matches), described, ", ".join(ids)),
            ids,
        )
    return matches[0] if matches else None


def find_current(orgs, entry):
    """The organization `entry` designates among `orgs`, or None when it must be created.

    By id: it must exist (NoSuchOrganization). By client_id or name: terminated organizations are
    ignored for state active/suspended (a new one is created) and count as already terminated for
    state terminated. Several matches raise AmbiguousOrganization.
    """
    key, value = lookup_key(entry)
    return designated(matching(orgs, key, value), entry)


def designated(matches, entry):
    """find_current's rules applied to `matches`, the organizations whose lookup key equals the entry's."""
    key, value = lookup_key(entry)
    if key == "id":
        if not matches:
            raise NoSuchOrganization("No organization with id %s exists for this distributor." % value)
    else:
        alive = live_matches(matches, key, value)
        already_terminated = entry.get("state") == TERMINATED and not alive and len(matches) == 1
        matches = matches if already_terminated else alive
    return single(matches, "%s %r" % (key, value))


def index_by_key(orgs):
    """{key: {value: [orgs]}} for id, client_id and name: lookups of a whole list in linear time."""
    index = {key: {} for key in KEYS}
    for org in orgs:
        for key in KEYS:
            index[key].setdefault(org[key], []).append(org)
    return index


# ---------------------------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------------------------


def plan_actions(current, state, purge=False):
    """The ordered API operations taking `current` (an org, or None when absent) to `state`.

    A terminated organization cannot become active or suspended again: TerminatedOrganization.
    """
    status = current["status"] if current else None
    if state == TERMINATED:
        if status in (None, TERMINATED):
            return []
        return ["terminate"] + (["schedule_purge"] if purge else [])
    if status == TERMINATED:
        raise TerminatedOrganization(
            "Organization %s is terminated; it cannot become %s again. Terminated organizations "
            "cannot be reactivated: create a new one (with a new client_id)." % (current["id"], state)
        )
    actions = ["create"] if status is None else []
    if (status or ASSUMED_CREATE_STATUS) != state:
        actions.append("activate" if state == "active" else "suspend")
    return actions


def plan_entry(current, entry):
    """plan_actions for an entry, refusing a create the entry lacks the fields for (LifecycleError)."""
    planned = plan_actions(current, entry.get("state", "active"), entry.get("purge", False))
    if "create" in planned:
        missing = missing_to_create(entry)
        if missing:
            raise LifecycleError("No organization matches, and creating one requires: %s." % ", ".join(missing))
    return planned


def find_drift(current, entry):
    """Billing details of `current` that differ from the entry: {field: {current, desired}}.

    The Partner API cannot update an organization: drift is reported, never acted on.
    """
    if current is None or entry.get("state") == TERMINATED:
        return {}
    desired = {
        field: entry[field].upper() if field == "country" else entry[field]
        for field in BILLING_FIELDS
        if entry.get(field) is not None
    }
    return {
        field: dict(current=current[field], desired=value)
        for field, value in desired.items()
        if current[field] != value
    }


def duplicate_entries(entries):
    """{index: message} for entries that repeat an earlier entry's id, client_id or (name-only) name."""
    seen, problems = {}, {}
    for index, entry in enumerate(entries):
        key, value = lookup_key(entry)
        identities = [(key, value)]
        if key == "id" or entry.get("client_id") is not None:
            identities = [(field, entry[field]) for field in ("id", "client_id") if entry.get(field) is not None]
        for identity in identities:
            if identity in seen:
                problems[index] = "%s %r is already given by organizations[%d]" % (identity + (seen[identity],))
                break
            seen[identity] = index
    return problems


class SetPlan:
    """What converging a list of entries against the list of organizations will do.

    `targets`: per entry (same order) a dict {entry, current, actions, drift, error}; `error` is a
    LifecycleError message (nothing is sent for the set when any entry has one).
    `unlisted`: [{organization, actions}] for the live organizations no entry designates, when
    `unlisted` is suspend or terminate and something must change.
    """

    def __init__(self, targets, unlisted):
        self.targets = targets
        self.unlisted = unlisted

    @property
    def errors(self):
        return [(index, target["error"]) for index, target in enumerate(self.targets) if target["error"]]


UNLISTED_ACTIONS = {
    "keep": lambda org: [],
    "suspend": lambda org: ["suspend"] if org["status"] != "suspended" else [],
    "terminate": lambda org: ["terminate"],
}


def plan_set(orgs, entries, unlisted="keep"):
    """Plan a whole list of validated entries against every organization (one list answer): a SetPlan."""
    if unlisted not in UNLISTED_ACTIONS:
        raise ValueError("unlisted: expected keep, suspend or terminate, got %r" % (unlisted,))
    duplicates = duplicate_entries(entries)
    by_key = index_by_key(orgs)
    targets, claimed = [], {}
    for index, entry in enumerate(entries):
        target = dict(entry=entry, current=None, actions=[], drift={}, error=duplicates.get(index))
        targets.append(target)
        if target["error"]:
            continue
        try:
            key, value = lookup_key(entry)
            current = designated(by_key[key].get(value, []), entry)
            target["actions"] = plan_entry(current, entry)
        except LifecycleError as exc:
            target["error"] = str(exc)
            continue
        target["current"] = current
        target["drift"] = find_drift(current, entry)
        if current is not None:
            if current["id"] in claimed:
                target["error"] = "organization %s is already designated by organizations[%d]" % (
                    current["id"],
                    claimed[current["id"]],
                )
            claimed.setdefault(current["id"], index)
    claimed_ids = set(claimed)
    planned_unlisted = []
    for org in live(orgs):
        if org["id"] not in claimed_ids:
            actions = UNLISTED_ACTIONS[unlisted](org)
            if actions:
                planned_unlisted.append(dict(organization=org, actions=actions))
    return SetPlan(targets, planned_unlisted)


# ---------------------------------------------------------------------------------------------
# Executor
# ---------------------------------------------------------------------------------------------


def fetch_candidates(client, org_id=None):
    """The organizations a lookup may designate, with exactly one GET: the one with `org_id` ([] when
    it does not exist), else the whole list."""
    if org_id is None:
        return client.list_distributor_organizations()["organizations"]
    try:
        return [client.get_distributor_organization(id=org_id)]
    except _client.ExoscaleAPINotFoundException:
        return []


def converge(client, current, actions, entry, check_mode=False):
    """Perform `actions` (from plan_entry) for one organization; returns (organization, done, error).

    In check mode nothing is called: the result is predicted. A create is followed by whatever the
    returned status still needs (the API may answer `created`). A client error stops this
    organization: it is returned (not raised) with what was done before it.
    """
    org, done, planned = current, [], list(actions)
    try:
        while planned:
            action = planned.pop(0)
            org = _perform(client, action, org, entry, check_mode)
            done.append(action)
            if action == "create":
                planned = plan_actions(org, entry.get("state", "active"), entry.get("purge", False))
    except _client.ExoscaleAPIException as exc:
        return org, done, exc
    return org, done, None


def transitions(client):
    """The client call of each action on an existing organization."""
    return {
        "activate": client.activate_distributor_organization,
        "suspend": client.suspend_distributor_organization,
        "terminate": client.terminate_distributor_organization,
        "schedule_purge": client.schedule_purge_distributor_organization,
    }


def _perform(client, action, org, entry, check_mode):
    """Do one action (or, in check mode, predict its outcome) and return the organization after it."""
    if action == "create":
        if check_mode:
            return dict(_client.organization_preview(**creation_fields(entry)), status=ASSUMED_CREATE_STATUS)
        return create(client, entry)
    if not check_mode:
        result = transitions(client)[action](id=org["id"])
        if action in ("activate", "suspend"):
            return result
    return dict(org, status=STATUS_AFTER.get(action, org["status"]))


def relabelled(exc, doing):
    """A new client error like `exc` (same class, status and messages) that says it was doing `doing`."""
    return type(exc)(
        exc.message,
        status=exc.status,
        response=exc.response,
        api_message=exc.api_message,
        maybe_processed=exc.maybe_processed,
        doing=doing,
    )


def create(client, entry):
    """Create the organization; when the answer was lost after the API may have processed it, find it
    again by client_id instead of creating a duplicate. Raises a client error when it cannot tell."""
    try:
        return client.create_distributor_organization(**creation_fields(entry))
    except _client.ExoscaleAPIException as exc:
        if not exc.maybe_processed:
            raise
        if not entry.get("client_id"):
            raise relabelled(
                exc,
                "create organization %r (the API may have created it anyway: a rerun may create "
                "a duplicate; set client_id so that reruns find it)" % entry["name"],
            ) from exc
        found = live_matches(client.list_distributor_organizations()["organizations"], "client_id", entry["client_id"])
        if len(found) != 1:
            raise relabelled(
                exc,
                "create organization %r (%d organizations with client_id %r found afterwards)"
                % (entry["name"], len(found), entry["client_id"]),
            ) from exc
        return found[0]

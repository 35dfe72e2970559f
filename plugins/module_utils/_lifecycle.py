# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The organization rules: lookup, planning, drift, validation, duplicate-safe creation, and the
whole task of each organization module (partner_org, partner_orgs, partner_org_info).

Private to this collection: not a public API, may change in any release.
Pure functions over the snake_case organization dicts the client returns (never changed in place),
plus `converge`, a small executor that performs a plan through the client's methods. No Ansible
import and no HTTP detail: each task returns a TaskResult, which the module's glue reports once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import namedtuple

from ansible_collections.exoscale.partner.plugins.module_utils import _client, _parallel

TERMINATED = "terminated"
DESIRED_STATES = ("active", "suspended", TERMINATED)
KEYS = ("id", "client_id", "name")
REQUIRED_TO_CREATE = ("name", "owner_email", "address", "postcode", "city", "country")
BILLING_FIELDS = ("name", "address", "building_number", "postcode", "city", "country")
CREATE_FIELDS = REQUIRED_TO_CREATE + ("building_number", "client_id")
ENTRY_OPTIONS = ("id",) + CREATE_FIELDS + ("state", "purge")
TEXT_FIELDS = ("id",) + CREATE_FIELDS  # never valid empty or blank (an empty key would match nothing or anything)
STATUS_AFTER = {"activate": "active", "suspend": "suspended", "terminate": TERMINATED}
ASSUMED_CREATE_STATUS = "active"  # what check mode predicts; the API's choice is not documented
REPORTED = 10  # problems named in a message; the result has all of them


class TaskResult:
    """What a module reports, decided by the rules; the glue (PartnerModule.finish) reports it once.

    `values`: the return values; `failure`: the failure message (the task fails with `values`), or
    None; `changed` (on success); `warnings`; `diff`: the diff-mode value, or None for no diff.
    """

    __slots__ = ("values", "changed", "failure", "warnings", "diff")

    def __init__(self, values, changed=False, failure=None, warnings=(), diff=None):
        self.values = values
        self.changed = changed
        self.failure = failure
        self.warnings = list(warnings)
        self.diff = diff

    def __repr__(self):
        return "TaskResult(failure=%r, changed=%r, values=%r)" % (self.failure, self.changed, self.values)


def listed(texts, limit=REPORTED):
    """The first `limit` texts joined for a message, saying how many more the result holds."""
    more = " (and %d more, see the result)" % (len(texts) - limit) if len(texts) > limit else ""
    return "; ".join(texts[:limit]) + more


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
    if entry.get("state", "active") not in DESIRED_STATES:
        raise ValueError("%sstate: expected one of %s, got %r" % (field, ", ".join(DESIRED_STATES), entry.get("state")))
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


class Target(namedtuple("Target", "index entry current actions drift error")):
    """One entry of a list, planned: the organization it designates (None: to create), the actions,
    the drift, and `error`, the reason it cannot be planned (None when it can)."""

    __slots__ = ()

    @property
    def label(self):
        return "%s (%s)" % (entry_name(self.index), describe_key(self.entry))


class Unlisted(namedtuple("Unlisted", "organization actions entry")):
    """A live organization no entry designates, and the actions `unlisted` asks for; `entry` is the
    state it goes to, as an entry (for converge)."""

    __slots__ = ()

    @property
    def current(self):
        return self.organization

    @property
    def label(self):
        return "unlisted organization %s" % self.organization["id"]


class SetPlan(namedtuple("SetPlan", "targets unlisted")):
    """What converging a list of entries will do: a Target per entry (same order), and the Unlisted
    organizations that must change. Nothing is sent for the set when any target has an error."""

    __slots__ = ()

    @property
    def errors(self):
        """[(entry index, error)] of the targets that cannot be planned."""
        return [(target.index, target.error) for target in self.targets if target.error]


UNLISTED_ACTIONS = {
    "keep": lambda org: [],
    "suspend": lambda org: ["suspend"] if org["status"] != "suspended" else [],
    "terminate": lambda org: ["terminate"],
}


def entry_name(index):
    return "organizations[%d]" % index


def plan_set(orgs, entries, unlisted="keep"):
    """Plan a whole list of validated entries against every organization (one list answer): a SetPlan.

    `unlisted` is one of UNLISTED_ACTIONS (the module's argument spec checks it).
    """
    duplicates = duplicate_entries(entries)
    by_key = index_by_key(orgs)
    targets, claimed = [], {}
    for index, entry in enumerate(entries):
        target = _plan_target(index, entry, duplicates.get(index), by_key, claimed)
        if target.current is not None:
            claimed.setdefault(target.current["id"], index)
        targets.append(target)
    planned_unlisted = []
    for org in live(orgs):
        actions = [] if org["id"] in claimed else UNLISTED_ACTIONS[unlisted](org)
        if actions:
            state = dict(state=STATUS_AFTER[actions[0]], purge=False)
            planned_unlisted.append(Unlisted(org, actions, state))
    return SetPlan(targets, planned_unlisted)


def _plan_target(index, entry, duplicate, by_key, claimed):
    """The Target of one entry; `claimed` maps the ids designated so far to their entry index."""
    if duplicate:
        return Target(index, entry, None, [], {}, duplicate)
    try:
        key, value = lookup_key(entry)
        current = designated(by_key[key].get(value, []), entry)
        actions = plan_entry(current, entry)
    except LifecycleError as exc:
        return Target(index, entry, None, [], {}, str(exc))
    error = None
    if current is not None and current["id"] in claimed:
        error = "organization %s is already designated by organizations[%d]" % (current["id"], claimed[current["id"]])
    return Target(index, entry, current, actions, find_drift(current, entry), error)


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


class Converged(namedtuple("Converged", "organization done error")):
    """What converging one organization gave: the organization after it, the actions done, and the
    client error that stopped it (None when every action was done)."""

    __slots__ = ()


def converge(client, current, actions, entry, check_mode=False):
    """Perform `actions` (from plan_entry) for one organization; a Converged.

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
        return Converged(org, done, exc)
    return Converged(org, done, None)


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


# ---------------------------------------------------------------------------------------------
# The tasks: partner_org, partner_orgs, partner_org_info
# ---------------------------------------------------------------------------------------------


def ensure_organization(client, options, check_mode):
    """partner_org: bring one organization to its state. Raises what a rule or the client refuses."""
    entry = validate_entry({name: options[name] for name in ENTRY_OPTIONS})
    current = find_current(fetch_candidates(client, entry["id"]), entry)
    converged = converge(client, current, plan_entry(current, entry), entry, check_mode=check_mode)
    if converged.error is not None:
        raise converged.error
    org, done = converged.organization, converged.done
    values, warnings = dict(organization=org, actions=done), []
    drift = find_drift(current, entry)
    if drift:
        values["drift"] = drift
        warnings.append(
            "Organization %s differs from the options in %s; the Partner API cannot update it."
            % (current["id"], ", ".join(sorted(drift)))
        )
    return TaskResult(values, bool(done), warnings=warnings, diff=dict(before=current or {}, after=org or {}))


SUMMARY_ACTIONS = (
    ("created", "create"),
    ("activated", "activate"),
    ("suspended", "suspend"),
    ("terminated", "terminate"),
    ("purged", "schedule_purge"),
)


def converge_organizations(client, options, check_mode, failure_text):
    """partner_orgs: converge a whole list (one list call, then the changes in parallel).

    `failure_text(exc)` is the text of a client error in a result. Nothing is sent when an option or
    an entry is wrong, or when an entry cannot be planned.
    """
    entries, problems = validated_entries(options)
    if problems:
        return TaskResult(dict(errors=problems), failure="Invalid parameters (nothing was sent): %s" % listed(problems))
    plan = plan_set(client.list_distributor_organizations()["organizations"], entries, options["unlisted"])
    if plan.errors:
        return planning_failure(plan)
    concurrency = 1 if check_mode else options["concurrency"]  # check mode sends nothing: no thread needed
    return set_report(plan, perform_set(client, plan, concurrency, check_mode), failure_text)


def validated_entries(options):
    """(entries checked with their ids canonical, problems): every problem found before any request."""
    problems, entries = [], []
    for index, raw in enumerate(options["organizations"]):
        try:
            entries.append(validate_entry(raw, entry_name(index)))
        except ValueError as exc:
            problems.append(str(exc))
    if not problems:
        duplicates = sorted(duplicate_entries(entries).items())
        problems = ["%s: %s" % (entry_name(index), text) for index, text in duplicates]
    if options["unlisted"] == "terminate" and not options["unlisted_confirm"]:
        problems.append(
            "unlisted=terminate terminates every organization the list misses and cannot be undone: "
            "set unlisted_confirm=true to confirm it"
        )
    try:
        _parallel.validate_concurrency(options["concurrency"])
    except ValueError as exc:
        problems.append(str(exc))
    return entries, problems


def planning_failure(plan):
    problems = ["%s: %s" % (plan.targets[index].label, error) for index, error in plan.errors]
    return TaskResult(
        dict(
            organizations=[entry_result(target, target.current, error=target.error) for target in plan.targets],
            unlisted=[],
            errors=problems,
        ),
        failure="%d of %d entries cannot be converged; nothing was sent: %s"
        % (len(problems), len(plan.targets), listed(problems)),
    )


def perform_set(client, plan, concurrency, check_mode):
    """Converge every target, then every unlisted organization, that has actions (in check mode,
    predict it): one Converged for each, in that order."""
    planned = plan.targets + plan.unlisted

    def work(position):
        item = planned[position]
        return converge(client, item.current, item.actions, item.entry, check_mode=check_mode)

    busy = [position for position, item in enumerate(planned) if item.actions]
    attempts = {attempt.item: attempt for attempt in _parallel.run_each(work, busy, concurrency)}
    converged = []
    for position, item in enumerate(planned):
        attempt = attempts.get(position)
        if attempt is None:
            converged.append(Converged(item.current, [], None))
        else:
            converged.append(attempt.value if attempt.ok else Converged(item.current, [], attempt.error))
    return converged


def entry_result(target, organization=None, actions=(), error=None):
    return dict(
        key=dict([lookup_key(target.entry)]),
        organization=organization,
        actions=list(actions),
        drift=target.drift,
        error=error,
    )


def set_report(plan, converged, failure_text):
    """partner_orgs' TaskResult from the plan and what converging it gave."""

    def error_text(error):
        if error is None:
            return None
        return failure_text(error) if isinstance(error, _client.ExoscaleAPIException) else str(error)

    planned = plan.targets + plan.unlisted
    results = [
        entry_result(target, done.organization, done.done, error_text(done.error))
        for target, done in zip(plan.targets, converged)
    ]
    unlisted = [
        dict(organization=done.organization, actions=done.done, error=error_text(done.error))
        for done in converged[len(plan.targets) :]
    ]
    diffs = [
        dict(
            before=item.current or {}, after=done.organization or {}, before_header=item.label, after_header=item.label
        )
        for item, done in zip(planned, converged)
        if done.done
    ]
    summary = summary_of(results, unlisted)
    changed = any(result["actions"] for result in results + unlisted)
    values = dict(organizations=results, unlisted=unlisted, summary=summary)
    warnings = drift_warnings(results)
    if not summary["failed"]:
        return TaskResult(values, changed, warnings=warnings, diff=diffs or None)
    failures = ["%s: %s" % (entry_name(i), r["error"]) for i, r in enumerate(results) if r["error"]]
    failures += [r["error"] for r in unlisted if r["error"]]
    return TaskResult(
        dict(values, changed=changed),
        failure="%d of %d organizations failed (the others were converged): %s"
        % (summary["failed"], len(results) + len(unlisted), listed(failures)),
        warnings=warnings,
    )


def summary_of(results, unlisted):
    every = results + unlisted
    summary = {name: sum(1 for r in every if action in r["actions"]) for name, action in SUMMARY_ACTIONS}
    summary["unchanged"] = sum(1 for r in results if not r["actions"] and not r["error"])
    summary["failed"] = sum(1 for r in every if r["error"])
    return summary


def drift_warnings(results):
    drifted = ["%s: %s" % (entry_name(i), ", ".join(sorted(r["drift"]))) for i, r in enumerate(results) if r["drift"]]
    if not drifted:
        return []
    return [
        "%d organizations differ from their entries (the Partner API cannot update them; see drift): %s"
        % (len(drifted), listed(drifted))
    ]


def list_organizations(client, options, explain):
    """partner_org_info: the organizations the filters match, with their usage when asked for.

    `explain(exc)` is the text of a client error. One GET (by id, or the whole list), then one usage
    call per organization and month, at most `concurrency` at a time.
    """
    periods = asked_periods(options)
    _parallel.validate_concurrency(options["concurrency"])
    organizations = filtered(fetch_candidates(client, options["id"]), options)
    if not options["usage"]:
        return TaskResult(dict(organizations=organizations))
    fetched = fetch_usage(client, organizations, periods, options["concurrency"])
    organizations = [
        with_usage(org, fetches, len(periods) == 1, explain) for org, fetches in zip(organizations, fetched)
    ]
    failures = [
        dict(failure, id=org["id"], name=org["name"])
        for org in organizations
        for failure in org.get("usage_errors", [])
    ]
    values = dict(organizations=organizations, usage_errors=failures)
    if failures and options["on_usage_error"] == "fail":
        return TaskResult(dict(status=failures[0]["status"], usage_errors=failures), failure=usage_failure(failures))
    return TaskResult(values, warnings=["Failed to list the usage of " + describe_usage_failure(f) for f in failures])


def filtered(orgs, filters):
    """The organizations whose id, client_id and name equal the filters given, in one of `status` if given."""
    for key in KEYS:
        if filters[key] is not None:
            orgs = matching(orgs, key, filters[key])
    return [org for org in orgs if not filters["status"] or org["status"] in filters["status"]]


def asked_periods(options):
    """The months asked for, validated, ascending and unique; [None] leaves the month to the API."""
    if options["periods"] is not None:
        return sorted({_client.validate_period(period) for period in options["periods"]})
    if options["period"] is not None:
        return [_client.validate_period(options["period"])]
    return [None]


class UsageFetch(namedtuple("UsageFetch", "organization period records error")):
    """The usage of one organization for one month (None: the API's choice): its records, or the
    client error that stopped it."""

    __slots__ = ()


def fetch_usage(client, organizations, periods, concurrency):
    """Per organization, a UsageFetch per period (in the order given); the requests run in parallel.

    An error that is not the client's (a bug) is raised once every request is done.
    """
    jobs = [(org, period) for org in organizations for period in periods]

    def fetch(job):
        org, period = job
        return client.list_distributor_organization_usage(id=org["id"], period=period)

    fetched = []
    for attempt in _parallel.run_each(fetch, jobs, concurrency):
        org, period = attempt.item
        if not attempt.ok and not isinstance(attempt.error, _client.ExoscaleAPIException):
            raise attempt.error
        fetched.append(UsageFetch(org, period, attempt.value, attempt.error))
    return [fetched[start : start + len(periods)] for start in range(0, len(fetched), len(periods))]


def with_usage(org, fetches, single_period, explain):
    """A copy of `org` with its usage (its UsageFetches): `usage_by_period` (months given), `usage`
    (one month), and `usage_errors` for the months that failed (missing from usage_by_period)."""
    org = dict(org)
    for fetch in fetches:
        if fetch.error is not None:
            failure = dict(period=fetch.period, msg=explain(fetch.error), status=fetch.error.status)
            org.setdefault("usage_errors", []).append(failure)
            continue
        if fetch.period is not None:
            org.setdefault("usage_by_period", {})[fetch.period] = fetch.records
        if single_period:
            org["usage"] = fetch.records
    return org


def describe_usage_failure(failure):
    return "organization %s (%s)%s: %s" % (
        failure["id"],
        failure["name"],
        "" if failure["period"] is None else " for " + failure["period"],
        failure["msg"],
    )


def usage_failure(failures):
    """The message naming every failed (organization, month)."""
    if len(failures) == 1:
        return "Failed to list the usage of " + describe_usage_failure(failures[0])
    return (
        "Failed to list the usage of %d organization/month pairs (on_usage_error=continue returns the others): %s"
        % (
            len(failures),
            " | ".join(map(describe_usage_failure, failures)),
        )
    )

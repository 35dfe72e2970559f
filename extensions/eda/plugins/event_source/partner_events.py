# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
author:
  - Exoscale (@exoscale)
short_description: Turn what changes at the Exoscale Partner API into events
version_added: 0.1.0
description:
  - An event source for Event-Driven Ansible (C(ansible-rulebook), the EDA controller of AAP), used as
    C(exoscale.partner.partner_events). It polls the Exoscale Partner API and emits one event per change
    C(organization_added), C(organization_removed), C(status_changed) (for example an organization
    suspended by Exoscale), C(usage_threshold_crossed) (this month's usage of an organization reaches an
    amount), C(metering_unsettled) (a transaction of the metering journal is uncertain, or pending too long),
    and C(api_error) / C(api_recovered) (an outage, once each).
  - Each change is emitted once, however many polls see it. Without O(state_file) the first poll is a
    silent baseline; with it, a restart emits what changed while the source was down, and nothing else.
  - One list request per O(interval); usage requests only with O(usage_thresholds), one per live
    organization every O(usage_interval). Transient errors never end the source.
  - Every string that came from the API or the journal is made template-inert by default
    (O(escape_templates)), because ansible-rulebook passes events to playbooks as extra vars, which
    ansible-core templates. See U(https://github.com/exoscale/ansible-collection-partner/blob/main/docs/docsite/rst/events.rst).
options:
  api_key:
    description:
      - The Exoscale API key of the distributor organization.
      - If not set, the value of the E(EXOSCALE_API_KEY) environment variable is used.
    type: str
  api_secret:
    description:
      - The secret of O(api_key). Never written to events, logs or the state file.
      - If not set, the value of the E(EXOSCALE_API_SECRET) environment variable is used.
    type: str
  api_url:
    description:
      - The Partner API endpoint, including the version path.
      - If not set, the value of the E(EXOSCALE_PARTNER_API_URL) environment variable is used, else the
        public endpoint.
    type: str
    default: https://partner-api.exoscale.com/v1.alpha
  api_account:
    description: The account of the exo CLI configuration file to read the credentials from.
    type: str
  api_config:
    description: The exo CLI configuration file to read O(api_account) from.
    type: str
  api_timeout:
    description: Timeout in seconds of each HTTP request.
    type: int
    default: 30
  api_retries:
    description:
      - How many times a request that failed transiently is retried (honouring C(Retry-After)) before the
        poll is reported as failed.
    type: int
    default: 5
  validate_certs:
    description: Whether to validate the TLS certificate of O(api_url).
    type: bool
    default: true
  interval:
    description: Seconds between two polls of the organization list (and of the journal). At least 1.
    type: int
    default: 60
  usage_thresholds:
    description:
      - 'A mapping of currency to an amount (a decimal string, or a list of them), for example
        V({CHF: "500", EUR: ["400", "1000"]}).'
      - The current month's total excluding VAT of each organization that is not terminated is compared
        exactly (no floating point) with the thresholds of its currency; reaching one emits
        C(usage_threshold_crossed) once per organization, month and threshold.
    type: dict
  usage_interval:
    description: Seconds between two reads of the usage (only with O(usage_thresholds)). At least 1.
    type: int
    default: 3600
  concurrency:
    description: How many usage requests may run at the same time, from 1 to 32.
    type: int
    default: 4
  journal:
    description:
      - The metering journal of M(exoscale.partner.partner_metering) to watch (a path or a
        V(postgresql://) URL, as that module takes it), read-only. Without it the journal is not watched.
    type: str
  state_file:
    description:
      - Where the source keeps its last snapshot and what it has emitted (JSON, mode C(0600), written
        atomically, never holding a secret). Its folder must exist.
    type: str
  escape_templates:
    description:
      - >-
        Make every string from the API or the journal template-inert (C({{) becomes C({{ '{{' }}),
        and so on), so that a playbook templating the event gets the original text back and nothing a
        customer typed into a name is ever evaluated.
      - >-
        Set to V(false) only for consumers that never template events, such as C(print_event) or a
        forwarder. With V(false), an organization named C({{ lookup('env', 'EXOSCALE_API_SECRET') }})
        prints the secret in any playbook the rule runs.
    type: bool
    default: true
requirements:
  - requests
  - psycopg >= 3.1 (only for a V(postgresql://) journal)
notes:
  - ansible-rulebook needs Java 17 or later; in AAP, run it in a decision environment that holds this
    collection and C(requests).
"""

EXAMPLES = r"""
- name: React to what happens to our customers
  hosts: localhost
  sources:
    - exoscale.partner.partner_events:
        interval: 60
        usage_thresholds:
          CHF: "500"
        journal: /var/lib/partner/metering.sqlite3
        state_file: /var/lib/partner/partner_events.json
  rules:
    - name: A customer was suspended
      condition: event.type == "status_changed" and event.organization.status == "suspended"
      action:
        run_playbook:
          name: exoscale.partner.suspended_customer
"""

import asyncio
import concurrent.futures
import functools
import json
import logging
import os
import sys
import tempfile
import threading

COLLECTION_PARTS = ["ansible_collections", "exoscale", "partner"]


def collection_import_path(source_file):
    """The folder that holds this file's ansible_collections/ tree.

    ansible-rulebook runs a source with runpy and does not put ansible_collections on sys.path, so the
    collection's own module_utils are found from where this file is:
    <path>/ansible_collections/exoscale/partner/extensions/eda/plugins/event_source/partner_events.py.
    """
    root = source_file
    for _level in range(5):
        root = os.path.dirname(root)
    if root.split(os.sep)[-3:] != COLLECTION_PARTS:
        raise ImportError(
            "exoscale.partner.partner_events must run from the installed collection (a folder "
            "ansible_collections/exoscale/partner), not from %s: install it with ansible-galaxy" % root
        )
    return os.path.dirname(os.path.dirname(os.path.dirname(root)))


_IMPORT_PATH = collection_import_path(os.path.abspath(__file__))
if _IMPORT_PATH not in sys.path:
    sys.path.insert(0, _IMPORT_PATH)

from ansible_collections.exoscale.partner.plugins.module_utils import (
    _client,
    _credentials,
    _events,
    _journal,
    _journal_store,
    _parallel,
)
from ansible_collections.exoscale.partner.plugins.plugin_utils._secret_command import run_secret_command

LOG = logging.getLogger("exoscale.partner.partner_events")
SOURCE = "exoscale.partner.partner_events"
CREDENTIAL_ARGS = _credentials.OPTIONS  # the options resolve_credentials weighs
DEFAULTS = dict(
    api_timeout=30,
    api_retries=5,
    validate_certs=True,
    interval=60,
    usage_thresholds=None,
    usage_interval=3600,
    concurrency=4,
    journal=None,
    state_file=None,
    escape_templates=True,
)
USER_AGENT = "ansible-collection-exoscale.partner event_source"


class ArgumentsError(ValueError):
    """Bad arguments: the source stops at start with this message."""


class _Stopped(Exception):
    """Raised in a worker thread by the client's retry sleep once the source is shutting down."""


def _boolean(args, name):
    value = args[name]
    if not isinstance(value, bool):
        raise ValueError("%s: expected true or false, got %r" % (name, value))
    return value


def _optional_text(args, name):
    value = args[name]
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ValueError("%s: expected a non-empty string, got %r" % (name, value))
    return value


def parse_arguments(args, environ):
    """The source's settings from the rulebook's arguments; ArgumentsError naming what is wrong."""
    args = dict(args or {})
    unknown = sorted(set(args) - set(CREDENTIAL_ARGS) - set(DEFAULTS))
    if unknown:
        raise ArgumentsError(
            "%s: unknown argument(s) %s (known: %s)"
            % (SOURCE, ", ".join(map(str, unknown)), ", ".join(sorted(CREDENTIAL_ARGS + tuple(DEFAULTS))))
        )
    given = dict(DEFAULTS, **args)
    try:
        for name in CREDENTIAL_ARGS:
            if not isinstance(args.get(name, ""), str):
                raise ValueError("%s: expected a string, got %s" % (name, type(args[name]).__name__))
        options = {name: args.get(name) for name in CREDENTIAL_ARGS}
        credentials = _credentials.resolve_credentials(options, environ, run_secret_command)
        settings = dict(
            credentials=credentials,
            interval=_events.seconds(given["interval"], "interval"),
            usage_interval=_events.seconds(given["usage_interval"], "usage_interval"),
            usage_thresholds=_events.parse_thresholds(given["usage_thresholds"]),
            concurrency=_parallel.validate_concurrency(given["concurrency"]),
            api_timeout=_events.seconds(given["api_timeout"], "api_timeout", minimum=1),
            api_retries=_retries(given["api_retries"]),
            validate_certs=_boolean(given, "validate_certs"),
            escape_templates=_boolean(given, "escape_templates"),
            journal=_optional_text(given, "journal"),
            state_file=_state_file(_optional_text(given, "state_file")),
        )
    except ValueError as exc:  # CredentialsError is one too
        raise ArgumentsError("%s: %s" % (SOURCE, _events.scrub(str(exc), _secrets_in(args, environ)))) from None
    return settings


def _retries(value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("api_retries: expected a whole number, 0 (no retry) or more, got %r" % (value,))
    return value


def _state_file(path):
    if path is None:
        return None
    path = os.path.abspath(os.path.expanduser(path))
    if os.path.isdir(path):
        raise ValueError("state_file: %s is a folder; give the path of a file" % path)
    if not os.path.isdir(os.path.dirname(path)):
        raise ValueError("state_file: the folder %s does not exist" % os.path.dirname(path))
    return path


def _secrets_in(args, environ):
    return [args.get("api_secret"), environ.get("EXOSCALE_API_SECRET")]


def _state_text(state):
    return json.dumps(state, indent=1, sort_keys=True) + "\n"


class Watcher:
    """The asyncio shell: reads the API and the journal in worker threads, applies _events' rules, delivers."""

    def __init__(self, settings):
        self.settings = settings
        credentials = settings["credentials"]
        self.api_url = credentials["api_url"]
        self.secrets = list(credentials.get("secrets") or [credentials["api_secret"]])
        if settings["journal"]:
            self.secrets += _journal_store.url_password(settings["journal"])
        self.stopping = threading.Event()
        self.executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=settings["concurrency"] + 1, thread_name_prefix="partner_events"
        )
        self.client = _client.Client(
            credentials["api_key"],
            credentials["api_secret"],
            url=self.api_url,
            timeout=settings["api_timeout"],
            retries=settings["api_retries"],
            validate_certs=settings["validate_certs"],
            user_agent=USER_AGENT,
            sleep=self._sleep,
        )
        self.store = None
        self.state = _events.new_state(self.api_url)
        self.clock = _journal.utc_now
        self.saved = None  # the state file's text as last written (or read): unchanged states are not rewritten

    def _sleep(self, seconds):
        if self.stopping.wait(seconds):
            raise _Stopped()

    def _text(self, exc):
        return _events.scrub(str(exc), self.secrets)

    async def _call(self, function, *args, **kwargs):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(function, *args, **kwargs))

    # -- start and stop -------------------------------------------------------------------------

    async def start(self):
        """Load the state file and open the journal; ArgumentsError when either cannot be used."""
        if self.settings["state_file"]:
            self.state = self._load_state(self.settings["state_file"])
        if self.settings["journal"]:
            try:
                self.store = await self._call(_journal_store.open_journal, self.settings["journal"], read_only=True)
                await self._call(self.store.entries, states=_journal.UNSETTLED)
            except _journal.JournalError as exc:
                raise ArgumentsError("%s: journal: %s" % (SOURCE, self._text(exc))) from None
        LOG.info(
            "watching %s every %s s%s%s",
            self.api_url,
            self.settings["interval"],
            ", usage every %s s" % self.settings["usage_interval"] if self.settings["usage_thresholds"] else "",
            ", journal %s" % _journal_store.redact(self.settings["journal"]) if self.store else "",
        )

    def _load_state(self, path):
        if not os.path.exists(path):
            return _events.new_state(self.api_url)
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError) as exc:
            raise ArgumentsError(
                "%s: state_file %s cannot be read (%s); move it away or choose another path" % (SOURCE, path, exc)
            ) from None
        try:
            state = _events.checked_state(data, self.api_url, path)
        except ValueError as exc:
            raise ArgumentsError("%s: %s" % (SOURCE, exc)) from None
        self.saved = _state_text(state)
        return state

    def save_state(self):
        """Write the state file atomically (temporary file + rename), mode 0600."""
        path = self.settings["state_file"]
        text = _state_text(self.state)
        if not path or text == self.saved:
            return
        descriptor, temporary = tempfile.mkstemp(prefix=".partner_events-", dir=os.path.dirname(path))
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o600)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
        self.saved = text

    def close(self):
        self.stopping.set()
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.client.close()
        if self.store is not None:
            self.store.close()

    # -- one poll -------------------------------------------------------------------------------

    async def poll(self, queue):
        """Read, decide, deliver every event, then remember; returns the seconds to wait."""
        now = self.clock()
        state = dict(self.state)
        events, retry_after = [], None
        try:
            listing = await self._call(self.client.list_distributor_organizations)
        except (_client.ExoscaleAPIException, ValueError) as exc:
            events += self._failed(state, _events.LIST_ORGANIZATIONS, exc, now)
            retry_after = getattr(exc, "retry_after", None)
        else:
            events += self._succeeded(state, _events.LIST_ORGANIZATIONS, now)
            changes, state["organizations"] = _events.organization_events(
                state["organizations"], listing["organizations"], now
            )
            events += changes
        if self.settings["usage_thresholds"] and _events.usage_due(
            state["usage_read_at"], now, self.settings["usage_interval"]
        ):
            events += await self._read_usage(state, now)
        if self.store is not None:
            events += await self._read_journal(state, now)
        for item in events:
            await queue.put(_events.template_inert(item) if self.settings["escape_templates"] else item)
        self.state = state
        self.save_state()
        return _events.next_wait(self.settings["interval"], retry_after)

    def _failed(self, state, operation, exc, now, detail=""):
        text = self._text(exc) + detail
        found, state["outages"] = _events.failed(state["outages"], operation, text, now)
        if found:
            LOG.warning("%s failed: %s", operation, text)
        return [found] if found else []

    def _succeeded(self, state, operation, now):
        found, state["outages"] = _events.succeeded(state["outages"], operation, now)
        if found:
            LOG.warning("%s works again", operation)
        return [found] if found else []

    async def _read_usage(self, state, now):
        period = _events.current_period(now)
        organizations = _events.live_organizations(state["organizations"])
        limit = asyncio.Semaphore(self.settings["concurrency"])

        async def read(org):
            async with limit:
                try:
                    return await self._call(
                        self.client.list_distributor_organization_usage, id=org["id"], period=period
                    )
                except _client.ExoscaleAPINotFoundException:
                    return []  # removed since the list was read: the next list reports it
                except (_client.ExoscaleAPIException, ValueError) as exc:
                    return exc

        results = await asyncio.gather(*(read(org) for org in organizations))
        baseline = state["usage_read_at"] is None
        emitted = set(_events.current_threshold_keys(state["thresholds"], period))
        events, errors = [], []
        for org, records in zip(organizations, results):
            if isinstance(records, Exception):
                errors.append(records)
                continue
            crossed, keys = _events.threshold_events(
                org, period, records, self.settings["usage_thresholds"], emitted, now
            )
            emitted.update(keys)
            events += [] if baseline else crossed
        state["thresholds"] = sorted(emitted)
        state["usage_read_at"] = _events.iso_milliseconds(now)
        if errors:
            detail = " (%d of %d organizations failed)" % (len(errors), len(organizations))
            return self._failed(state, _events.LIST_USAGE, errors[0], now, detail) + events
        return self._succeeded(state, _events.LIST_USAGE, now) + events

    def _unsettled_entries(self):
        if isinstance(self.store, _journal_store.EmptyStore):  # the file did not exist yet: look again
            self.store = _journal_store.open_journal(self.settings["journal"], read_only=True)
        return self.store.entries(states=_journal.UNSETTLED)

    async def _read_journal(self, state, now):
        try:
            entries = await self._call(self._unsettled_entries)
        except _journal.JournalError as exc:
            return self._failed(state, _events.READ_JOURNAL, exc, now)
        found, state["metering"] = _events.metering_events(
            entries, state["metering"], now, _journal.may_be_in_flight, _journal.public_entry
        )
        return self._succeeded(state, _events.READ_JOURNAL, now) + found

    # -- the loop -------------------------------------------------------------------------------

    async def run(self, queue):
        """Poll until cancelled; on the way out save the state and close the sessions."""
        try:
            await self.start()
        except BaseException:
            self.close()
            raise
        try:
            while True:
                await asyncio.sleep(await self.poll(queue))
        finally:
            try:
                self.save_state()
            finally:
                self.close()
                LOG.info("stopped%s", ", state saved in %s" % self.settings["state_file"] if self.saved else "")


async def main(queue, args):
    """The ansible-rulebook entry point: emit events into ``queue`` until cancelled."""
    watcher = Watcher(parse_arguments(args, os.environ))
    await watcher.run(queue)


if __name__ == "__main__":  # a quick look: python partner_events.py (credentials from the environment)

    class _PrintQueue(asyncio.Queue):
        async def put(self, item):
            print(json.dumps(item, sort_keys=True), flush=True)

    asyncio.run(main(_PrintQueue(), {"interval": 5}))

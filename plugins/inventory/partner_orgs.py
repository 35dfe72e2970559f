# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: partner_orgs
short_description: The organizations of an Exoscale distributor as an inventory
version_added: 0.1.0
description:
  - Makes each sub-organization of an Exoscale distributor a host, so that plays can manage
    many customer organizations in parallel with forks (and, in AWX, job slicing) instead of a serial loop.
  - Reads the organizations with B(one) Partner API request per refresh (the API has no pagination).
  - Each host gets the variables C(partner_org) (the organization as M(exoscale.partner.partner_org_info)
    returns it, with C(id), C(status), C(name), C(client_id), C(address), C(building_number), C(postcode),
    C(city), C(country)) and C(ansible_connection=local), because the Partner API is reached from the
    controller, not from the organization.
  - The configuration file name must end in C(partner_orgs.yml) or C(partner_orgs.yaml).
  - Host names come from the first field of O(hostnames) that is set. Characters other than letters and
    digits (of any script, so C(Müller) and C(株式会社) stay as they are), C(.), C(_) and C(-) are replaced
    by C(_) (emoji and punctuation included), so that every name is usable in C(--limit) patterns.
    When several organizations end up with the same name (the API does not enforce unique client IDs),
    B(each) of them is named C(<name>_<id>) instead and a warning lists them; the result does not depend
    on the order of the API's answer.
  - Not to be confused with the M(exoscale.partner.partner_orgs) module, which shares this name but is another
    plugin type (it converges a list of organizations in one task).
  - Values from the API are never templated (they are not trusted as templates), so an organization
    named C({{ ... }}) stays that literal text.
author:
  - Exoscale (@exoscale)
requirements:
  - requests
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: Marks this file as a configuration of this plugin.
    type: str
    required: true
    choices: [exoscale.partner.partner_orgs]
  api_key:
    description:
      - The Exoscale API key of the distributor organization.
      - Required with O(api_secret), here or in the E(EXOSCALE_API_KEY) and E(EXOSCALE_API_SECRET) environment
        variables, unless the credentials come from the exo CLI configuration (O(api_account), or its
        C(defaultaccount)). Mutually exclusive with O(api_account).
      - May be a template, for example a lookup.
    type: str
    env:
      - name: EXOSCALE_API_KEY
  api_secret:
    description:
      - The secret of O(api_key). Never logged nor cached.
      - May be a template, for example a lookup of a vaulted variable file.
    type: str
    env:
      - name: EXOSCALE_API_SECRET
  api_account:
    description:
      - The name of the account (an C([[accounts]]) entry) of the exo CLI configuration O(api_config)
        whose C(key) and C(secret) (or C(secretCommand)) are used.
      - When set (here or in the environment), that account wins over E(EXOSCALE_API_KEY) and
        E(EXOSCALE_API_SECRET); setting it together with O(api_key) or O(api_secret) here is refused.
      - When neither O(api_account) nor O(api_key)/O(api_secret) are set, the configuration's C(defaultaccount)
        is used, if the file exists.
      - C(secretCommand) is a list, the command and its arguments, run without a shell, stopped after 120 seconds;
        what it prints (stripped) is the secret. The account's C(endpoint), if set, is used as O(api_url) when
        that is not set otherwise.
    type: str
    env:
      - name: EXOSCALE_ACCOUNT
  api_config:
    description:
      - The exo CLI configuration file (TOML) that O(api_account) is read from.
      - If not set, the exo CLI's own locations, C(~/.config/exoscale/exoscale.toml) then
        C(~/.exoscale/exoscale.toml). Only read when the credentials come from it.
      - Needs Python 3.11 or later, or the Python library C(tomli), on the controller.
    type: path
    env:
      - name: EXOSCALE_CONFIG
  api_url:
    description:
      - The Partner API endpoint, including the version path.
      - If not set, the C(endpoint) of the exo CLI account (see O(api_account)), else the public endpoint
        C(https://partner-api.exoscale.com/v1.alpha).
    type: str
    env:
      - name: EXOSCALE_PARTNER_API_URL
  api_timeout:
    description: Timeout in seconds of each HTTP request. Must be greater than 0.
    type: int
    default: 30
  api_retries:
    description:
      - How many times the list request is retried after a transient failure (connection error,
        timeout, HTTP 429, 500, 502, 503, 504), with exponential backoff honouring C(Retry-After).
      - V(0) disables retries; a negative value is refused.
    type: int
    default: 5
  validate_certs:
    description:
      - Whether to validate the TLS certificate of O(api_url).
      - Only set to V(false) against a test endpoint you control.
    type: bool
    default: true
  statuses:
    description:
      - Only organizations in one of these statuses become hosts.
      - The default leaves out V(terminated) organizations; they cannot be changed any more, and a
        terminated organization often shares its client ID with the one that replaced it.
    type: list
    elements: str
    choices: [created, active, suspended, terminated]
    default: [created, active, suspended]
  hostnames:
    description:
      - Organization fields to name the host from, in order of preference; the first one that is set wins.
      - V(id) is always tried last, so every organization gets a name.
    type: list
    elements: str
    choices: [client_id, id, name]
    default: [client_id, id]
notes:
  - Set C(ansible_python_interpreter) for these hosts, for example to C({{ ansible_playbook_python }}) in
    C(group_vars/all.yml) next to the inventory file (O(compose) cannot see that variable); otherwise Ansible
    discovers the Python interpreter once per organization.
  - With O(cache=true) only the organizations are cached, never the credentials.
seealso:
  - module: exoscale.partner.partner_org
  - module: exoscale.partner.partner_org_info
"""

EXAMPLES = r"""
# customers.partner_orgs.yml, credentials from the environment: the exo CLI account named by EXOSCALE_ACCOUNT,
# else EXOSCALE_API_KEY / EXOSCALE_API_SECRET, else the exo CLI configuration's defaultaccount
plugin: exoscale.partner.partner_orgs

# Credentials of the exo CLI account "distributor" (~/.config/exoscale/exoscale.toml)
plugin: exoscale.partner.partner_orgs
api_account: distributor

# Groups by status (status_active, status_suspended, ...) and by country (country_ch, ...)
plugin: exoscale.partner.partner_orgs
statuses: [active, suspended]
keyed_groups:
  - key: partner_org.status
    prefix: status
  - key: partner_org.country | lower
    prefix: country
groups:
  swiss: partner_org.country == 'CH'
compose:
  customer_label: partner_org.name ~ ' (' ~ partner_org.status ~ ')'

# Name hosts by organization name, cache the answer for 5 minutes
plugin: exoscale.partner.partner_orgs
hostnames: [name]
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/exoscale-partner-inventory
cache_timeout: 300
"""

import os
import re
import unicodedata

from ansible.errors import AnsibleError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display

from ansible_collections.exoscale.partner.plugins.module_utils import _client, _credentials
from ansible_collections.exoscale.partner.plugins.module_utils._base import (
    api_argument_spec,
    build_client,
    connection_settings,
    explain,
)
from ansible_collections.exoscale.partner.plugins.plugin_utils._secret_command import run_secret_command

display = Display()

# \w: letters and digits of every script, and "_". Anything else (spaces, punctuation, emoji) becomes "_".
UNSAFE_HOSTNAME_CHARACTERS = re.compile(r"[^\w.-]", re.UNICODE)


def safe_hostname(value):
    """A host name usable in --limit patterns: letters and digits (any script), '.', '_' and '-' only.

    NFC first, so that a letter written with a combining accent ("u" + U+0308) stays one letter ("ü").
    """
    return UNSAFE_HOSTNAME_CHARACTERS.sub("_", unicodedata.normalize("NFC", str(value)))


def hostnames_for(orgs, fields):
    """(org id -> host name, sorted names that collided); every org of a collision is named <name>_<id>."""
    preferred = {}
    for org in orgs:
        value = next(org[field] for field in list(fields) + ["id"] if org.get(field))
        preferred[org["id"]] = safe_hostname(value)
    counts = {}
    for name in preferred.values():
        counts[name] = counts.get(name, 0) + 1
    collided = sorted(name for name, count in counts.items() if count > 1)
    names = {
        org_id: safe_hostname("%s_%s" % (name, org_id)) if counts[name] > 1 else name
        for org_id, name in preferred.items()
    }
    return names, collided


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "exoscale.partner.partner_orgs"

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith(
            ("partner_orgs.yml", "partner_orgs.yaml")
        )

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        orgs = self._organizations(self.get_cache_key(path), cache)
        self._populate(orgs)

    def _organizations(self, cache_key, cache):
        """The organizations from the cache when allowed and present, else from the API."""
        use_cache = self.get_option("cache")
        if use_cache and cache:
            try:
                return self._cache[cache_key]
            except KeyError:
                pass
        orgs = self._fetch()
        if use_cache:
            self._cache[cache_key] = orgs
        return orgs

    def _templated_option(self, name):
        value = self.get_option(name)
        if isinstance(value, str) and self.templar.is_template(value):
            value = self.templar.template(value)
        return value

    def _given_option(self, name):
        """The option as set in the configuration file (templated), else None: the credential rules
        (_credentials.resolve_credentials) weigh the environment variables themselves."""
        _value, origin = self.get_option_and_origin(name)
        if origin == "default" or str(origin).startswith("env: "):
            return None
        return self._templated_option(name)

    def _fetch(self):
        if not _client.HAS_REQUESTS:
            raise AnsibleError(
                "The exoscale.partner.partner_orgs inventory needs the Python library 'requests' "
                "on the controller: %s" % _client.REQUESTS_IMPORT_ERROR
            )
        options = {name: self._templated_option(name) for name in api_argument_spec()}
        options.update((name, self._given_option(name)) for name in _credentials.OPTIONS)
        try:
            settings, _secrets = connection_settings(options, os.environ, run_secret_command)
        except ValueError as exc:
            raise AnsibleError(str(exc)) from None
        client = build_client(settings, component="inventory")
        try:
            return client.list_distributor_organizations()["organizations"]
        except _client.ExoscaleAPIException as exc:
            raise AnsibleError("Failed to list the organizations of the distributor: %s" % explain(exc)) from None
        finally:
            client.close()

    def _populate(self, orgs):
        statuses = self.get_option("statuses")
        kept = [org for org in orgs if org["status"] in statuses]
        names, collided = hostnames_for(kept, self.get_option("hostnames"))
        if collided:
            display.warning(
                "Several Exoscale organizations would be named %s; each of them is named "
                "<name>_<id> instead. Give them distinct client IDs, or change hostnames." % ", ".join(collided)
            )
        strict = self.get_option("strict")
        for org in kept:
            host = names[org["id"]]
            self.inventory.add_host(host)
            self.inventory.set_variable(host, "partner_org", dict(org))
            self.inventory.set_variable(host, "ansible_connection", "local")
            host_vars = self.inventory.get_host(host).get_vars()
            self._set_composite_vars(self.get_option("compose"), host_vars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), host_vars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), host_vars, host, strict=strict)

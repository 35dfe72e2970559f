# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Options shared by every module: plugins/module_utils/_base.py api_argument_spec().
    DOCUMENTATION = r"""
options:
  api_key:
    description:
      - The Exoscale API key of the distributor organization.
      - If not set, the value of the E(EXOSCALE_API_KEY) environment variable is used.
      - Required with O(api_secret), as options or through the environment, unless the credentials come
        from the exo CLI configuration (O(api_account), or its C(defaultaccount)).
      - Mutually exclusive with O(api_account).
    type: str
  api_secret:
    description:
      - The secret of O(api_key).
      - If not set, the value of the E(EXOSCALE_API_SECRET) environment variable is used.
      - Mutually exclusive with O(api_account).
    type: str
  api_account:
    description:
      - The name of the account (an C([[accounts]]) entry) of the exo CLI configuration O(api_config)
        whose C(key) and C(secret) (or C(secretCommand)) are used.
      - If not set, the value of the E(EXOSCALE_ACCOUNT) environment variable is used.
      - When set (here or in the environment), that account wins over E(EXOSCALE_API_KEY) and
        E(EXOSCALE_API_SECRET); setting it together with the O(api_key) or O(api_secret) options is refused.
      - When neither O(api_account) nor O(api_key)/O(api_secret) are set (as options or environment variables),
        the configuration's C(defaultaccount) is used, if the file exists.
      - C(secretCommand) is a list, the command and its arguments, run without a shell, stopped after 120 seconds;
        what it prints (stripped) is the secret. The secret, from the file or the command, is never shown in the output.
      - The account's C(endpoint), if set, is used as O(api_url) when that is not set otherwise; it must then be
        the Partner API URL. Other fields (C(defaultZone), ...) are ignored.
    type: str
  api_config:
    description:
      - The exo CLI configuration file (TOML) that O(api_account) is read from.
      - If not set, the value of the E(EXOSCALE_CONFIG) environment variable is used, else the exo CLI's own
        locations, C(~/.config/exoscale/exoscale.toml) then C(~/.exoscale/exoscale.toml).
      - Only read when the credentials come from it. Needs Python 3.11 or later, or the Python library
        C(tomli), on the host the module runs on.
    type: path
  api_url:
    description:
      - The Partner API endpoint, including the version path.
      - If not set, the value of the E(EXOSCALE_PARTNER_API_URL) environment variable is used, else the
        C(endpoint) of the exo CLI account (see O(api_account)), else the public endpoint
        C(https://partner-api.exoscale.com/v1.alpha).
    type: str
  api_timeout:
    description:
      - Timeout in seconds of each HTTP request. Must be greater than 0.
    type: int
    default: 30
  api_retries:
    description:
      - How many times a request that failed transiently (connection error, timeout, HTTP 429, 500, 502, 503, 504)
        is retried, with exponential backoff honouring C(Retry-After).
      - Creation and metering requests are only retried when the API provably did not process them.
      - V(0) disables retries; a negative value is refused.
    type: int
    default: 5
  validate_certs:
    description:
      - Whether to validate the TLS certificate of O(api_url).
      - Only set to V(false) against a test endpoint you control.
    type: bool
    default: true
requirements:
  - requests
notes:
  - The Partner API is global; these modules make HTTP requests from the host they run on, usually
    C(localhost).
  - Requests are signed with an expiry time, so the clock of that host must be correct.
attributes:
  action_group:
    description: Use C(group/exoscale.partner.partner) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - exoscale.partner.partner
"""

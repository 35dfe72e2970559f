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
      - Required, as an option or through the environment.
    type: str
  api_secret:
    description:
      - The secret of O(api_key).
      - If not set, the value of the E(EXOSCALE_API_SECRET) environment variable is used.
      - Required, as an option or through the environment.
    type: str
  api_url:
    description:
      - The Partner API endpoint, including the version path.
      - If not set, the value of the E(EXOSCALE_PARTNER_API_URL) environment variable is used,
        else the public endpoint.
    type: str
    default: https://partner-api.exoscale.com/v1.alpha
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

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A local, strict simulator of the Exoscale Partner API (https://partner-api.exoscale.com/v1.alpha)."""

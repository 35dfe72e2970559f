# Copyright (c) 2026, exoscale.partner contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Created with antsibull-docs 2.28.0 (sphinx-init --use-current). Changed: this collection's names,
# and intersphinx reads one local inventory: the build works offline (tools/docsite.py, `make docsite`).

# This file only contains a selection of the most common options. For a full list see the
# documentation:
# http://www.sphinx-doc.org/en/master/config

project = 'exoscale.partner'
copyright = '2026, exoscale.partner contributors'

title = 'Exoscale Partner Collection Documentation'
html_short_title = 'exoscale.partner'

extensions = ['sphinx.ext.intersphinx', 'sphinx_antsibull_ext']

pygments_style = 'ansible'

highlight_language = 'YAML+Jinja'

html_theme = 'sphinx_ansible_theme'
html_show_sphinx = False

display_version = False

html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False

# One intersphinx inventory, written by tools/docsite.py from ansible_devel.inventory (the few
# labels of ansible-core's documentation the pages refer to): a local file, so nothing is downloaded.
intersphinx_mapping = {
    'ansible_devel': ('https://docs.ansible.com/projects/ansible/devel/', '../ansible_devel.inv'),
}

default_role = 'any'

nitpicky = True

"""Asset bundles built once per process instead of checked on every page.

CKAN's webassets environment runs with `auto_build`: every page's
`include_asset` asks each of its bundles whether a source file changed since
the last build (file time stamps, the output file, its version), about 2.5 ms
of CPU per page here (a third of a page as small as /about). In production
the sources change only with a deploy, and a deploy restarts the app. So
when the app starts (not in debug mode), every registered bundle is built or
found up to date once, and the pages then name the built files without
checking them again. The URLs are the same either way.
"""
from __future__ import annotations

import logging

import ckan.plugins.toolkit as tk
from ckan.common import CKANConfig
from ckan.lib import webassets_tools

log = logging.getLogger(__name__)


def build_at_start(config: CKANConfig) -> None:
    if tk.asbool(config.get("debug")) or not tk.asbool(
            config.get("ckanext.datagovernance.webassets.build_at_start")):
        return
    env = getattr(webassets_tools, "env", None)  # replaced by each webassets_init: read it now
    if env is None:
        return
    for bundle in env:
        bundle.urls()  # builds what is missing or stale, as the first page would
    env.auto_build = False
    log.debug("webassets: %d bundles built at start; no checks per page", len(env))

"""Asset bundles built once per process instead of checked on every page.

CKAN's webassets environment runs with `auto_build`: every page's
`include_asset` asks each of its bundles whether a source file changed since
the last build (file time stamps, the output file, its version), about 2.5 ms
of CPU per page here (a third of a page as small as /about). In production
the sources change only with a deploy, and a deploy restarts the app. So
when the app starts (not in debug mode), every registered bundle is built or
found up to date once, and the pages then name the built files without
checking them again. The URLs are the same either way.

The app's processes (gunicorn's workers, the job workers) start together and
build into the same directory: webassets then trips over the other
processes' half-written files and directories, and a worker that fails while
loading the app stops gunicorn altogether. So the processes build one after
the other (a lock file beside the bundles; the later ones find them up to
date), and a build that fails anyway is left to the pages, as CKAN does.
"""
from __future__ import annotations

import fcntl
import logging
import os

import ckan.plugins.toolkit as tk
from ckan.common import CKANConfig
from ckan.lib import webassets_tools

log = logging.getLogger(__name__)
_LOCK = ".datagovernance-build.lock"


def build_at_start(config: CKANConfig) -> None:
    if tk.asbool(config.get("debug")) or not tk.asbool(
            config.get("ckanext.datagovernance.webassets.build_at_start")):
        return
    env = getattr(webassets_tools, "env", None)  # replaced by each webassets_init: read it now
    if env is None:
        return
    try:
        os.makedirs(env.directory, exist_ok=True)
        with open(os.path.join(env.directory, _LOCK), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
            for bundle in env:
                bundle.urls()  # builds what is missing or stale, as the first page would
    except Exception as e:  # noqa: BLE001 - never a reason not to start
        log.warning("webassets: bundles not built at start (%s); each page checks them, as CKAN does", e)
        return
    env.auto_build = False
    log.debug("webassets: %d bundles built at start; no checks per page", len(env))

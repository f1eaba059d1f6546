"""WSGI entry point for a production server (gunicorn, uWSGI).

    CKAN_INI=/etc/ckan/ckan.ini gunicorn --workers 4 --chdir deploy wsgi:application

CKAN's wheel ships no wsgi.py; this is the same few lines as CKAN's own.
"""
from __future__ import annotations

import os
from logging.config import fileConfig

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

_ini = os.environ.get("CKAN_INI", "/etc/ckan/ckan.ini")
fileConfig(_ini, disable_existing_loggers=False)
application = make_app(CKANConfigLoader(_ini).get_config())

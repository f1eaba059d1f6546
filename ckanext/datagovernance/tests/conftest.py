"""Shared fixtures: CKAN's own pytest plugin plus the suite's migrations."""
from __future__ import annotations

import configparser
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

# Alembic chains the suite needs (CKAN core plugins first), applied after CKAN
# drops all tables.
SUITE_MIGRATIONS = ("activity", "datagovernance_search", "datagovernance")


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (`make test` runs two workers) each worker gets its
    own database, Redis database and storage directory, derived from the run's
    settings, so workers never see each other's rows, queues or caches. Set
    before CKAN's pytest plugin loads the ini (its ``pytest_sessionstart``);
    CKAN reads these environment variables over the ini's values."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    import sqlalchemy as sa

    n = int(worker.removeprefix("gw"))
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(ROOT / "test-core.ini")
    db_url = sa.engine.make_url(os.environ.get("CKAN_SQLALCHEMY_URL")
                                or ini["app:main"]["sqlalchemy.url"])
    db_url = db_url.set(database=f"{db_url.database}_{worker}")
    subprocess.run([str(ROOT / "bin" / "ensure-db.sh"), db_url.database],
                   check=True, capture_output=True, timeout=120)
    os.environ["CKAN_SQLALCHEMY_URL"] = db_url.render_as_string(hide_password=False)
    redis_url = os.environ.get("CKAN_REDIS_URL") or ini["app:main"]["ckan.redis.url"]
    head, _, tail = redis_url.rpartition("/")
    base_db, _, query = tail.partition("?")
    os.environ["CKAN_REDIS_URL"] = (f"{head}/{(int(base_db or 0) + n) % 16}"
                                    + (f"?{query}" if query else ""))
    os.environ["CKAN_STORAGE_PATH"] = f"{ini['app:main']['ckan.storage_path']}-{worker}"


def reset_and_migrate() -> None:
    """Drop every table, run CKAN's and the suite's migrations."""
    import ckan.model as model
    import ckan.tests.helpers as test_helpers
    import sqlalchemy as sa
    from ckan.cli.db import _run_migrations
    from ckan.tests import factories

    factories.fake.unique.clear()
    test_helpers.reset_db()
    import ckan.plugins as plugins

    for plugin in SUITE_MIGRATIONS:
        if plugins.plugin_loaded(plugin):
            _run_migrations(plugin, "head", True)
    # After the first reset CKAN only empties the tables it knows about; the
    # suite's tables are emptied here.
    tables = model.Session.execute(
        sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename LIKE 'datagovernance%' AND tablename NOT LIKE '%alembic_version'"
        )
    ).scalars().all()
    if tables:
        model.Session.execute(sa.text(f"TRUNCATE {', '.join(tables)}"))
    model.Session.commit()
    # a new database: cached search results of the previous one are void
    from ckanext.datagovernance.search import cache

    cache.bump()


@pytest.fixture
def clean_db(with_plugins):
    """CKAN's clean_db does not run plugin migrations: this one does."""
    reset_and_migrate()


@pytest.fixture
def live_server(app):
    """The test app served by a threaded WSGI server on 127.0.0.1: real,
    concurrent HTTP requests, each in its own thread and database session."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app.flask_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def post_json(url: str, payload: dict, token: str | None = None) -> tuple[int, dict]:
    """POST an action call; (status, body) whatever the status."""
    import json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": token} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")

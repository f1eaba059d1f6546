"""Shared fixtures: CKAN's own pytest plugin plus the suite's migrations."""
from __future__ import annotations

import pytest

# Alembic chains the suite needs (CKAN core plugins first), applied after CKAN
# drops all tables.
SUITE_MIGRATIONS = ("activity", "datagovernance_search", "datagovernance")


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

"""What every logged-in page shares costs almost nothing (issue 16): a
logged-in `/dataset` sends only a few SQL statements more than the same page
for an anonymous visitor: the user (flask-login's session), the user's
permission labels with their roles (one statement, which also answers
CKAN's "add dataset" check), one each for the header's counts (tasks,
requests, dashboard) where the user can have any. Before issue 16's changes
9-13 (labels 4-5 statements, the requests badge 3, the dashboard badge 2, the
header picture 3, CKAN's "add dataset" check 2). Read-only."""
from __future__ import annotations

import ckan.model as model
import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from ckanext.datagovernance import prepared

pytestmark = [
    pytest.mark.usefixtures("with_plugins"),
    pytest.mark.ckan_config("ckanext.datagovernance.search.cache_ttl", "0"),  # every search computed
]

# what the header of a logged-in page may add (see the module docstring),
# plus one of margin
MAX_EXTRA_STATEMENTS = 6


def _client(app, user: str | None):
    """A browser's client: logged in by a session cookie, as after the login form."""
    client = app.flask_app.test_client()
    if user:
        user_id = model.User.get(user).id
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = user_id, True
    return client


def _render(client, url: str) -> tuple[list[str], str]:
    client.get(url)  # once before: what the first request of a process reads
    sent: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        sent.append(" ".join(prepared.readable(statement).split())[:160])

    sa.event.listen(model.meta.engine, "before_cursor_execute", count)
    try:
        res = client.get(url)
    finally:
        sa.event.remove(model.meta.engine, "before_cursor_execute", count)
    assert res.status_code == 200, url
    return sent, res.get_data(as_text=True)


@pytest.mark.parametrize("user", ["dg_plain", "dg_org_editor", "dg_steward", "dg_owner", "dg_office",
                                  "dg_sysadmin"])
def test_a_logged_in_dataset_search_costs_few_statements_more_than_anonymous(city, app, user):
    anonymous, _ = _render(_client(app, None), "/dataset")
    logged_in, body = _render(_client(app, user), "/dataset")
    page = BeautifulSoup(body, "html.parser")
    # the header the statements pay for is there (tasks, requests, dashboard)
    assert page.select_one(".datagovernance-task-count") and page.select_one(".datagovernance-feedback-count")
    assert page.select_one("li.notifications .badge")
    # the user's picture (an address here), drawn from the user object
    assert page.select_one(f'.account img.user-image[src="{model.User.get(user).image_url}"]')
    assert len(logged_in) - len(anonymous) <= MAX_EXTRA_STATEMENTS, "\n".join([user, *logged_in])

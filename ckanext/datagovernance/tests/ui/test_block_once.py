"""datagovernance_block_once: a block CKAN's page.html renders twice (once to
test whether it is empty) is computed once per page render, and a second
render in the same request computes its own (no markup outlives its page)."""
from __future__ import annotations

import jinja2
import pytest

from ...ui.helpers import datagovernance_block_once

TEMPLATES = {
    # as CKAN's page.html: the block is rendered for the test, then in place
    "page.html": "{% if self.side()|trim %}<aside>{% block side %}{% block inner %}{% endblock %}"
                 "{% endblock %}</aside>{% endif %}",
    "suite.html": "{% extends 'page.html' %}{% block side %}{{ once('side', super) }}{% endblock %}",
    "dataset.html": "{% extends 'suite.html' %}{% block inner %}panel {{ count() }}{% endblock %}",
    "empty.html": "{% extends 'suite.html' %}{% block inner %}{% endblock %}",
}


@pytest.mark.usefixtures("with_plugins")
def test_the_block_is_computed_once_per_page_render(app):
    env = jinja2.Environment(loader=jinja2.DictLoader(TEMPLATES))
    calls: list[int] = []

    def count() -> int:
        calls.append(1)
        return len(calls)

    with app.flask_app.test_request_context():
        page = env.get_template("dataset.html")
        assert page.render(once=datagovernance_block_once, count=count) == "<aside>panel 1</aside>"
        assert len(calls) == 1
        # the next page of the same request renders its own block
        assert page.render(once=datagovernance_block_once, count=count) == "<aside>panel 2</aside>"
        assert env.get_template("empty.html").render(once=datagovernance_block_once, count=count) == ""
    # outside a request: rendered as CKAN does (twice), still the same page
    assert page.render(once=datagovernance_block_once, count=count) == "<aside>panel 4</aside>"

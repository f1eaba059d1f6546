"""The forms' hidden CSRF field: the suite writes CKAN's markup itself
(ui/helpers.csrf_input) instead of rendering CKAN's snippet for each form.
The field must stay CKAN's, token included, and a form posted with it must
pass Flask-WTF's check (tests/workflow/test_browser.py posts the workflow
and sign-off forms with CSRF protection on, in a real browser)."""
from __future__ import annotations

import ckan.lib.base as base
import ckan.plugins.toolkit as tk
import pytest


@pytest.mark.usefixtures("with_plugins")
@pytest.mark.ckan_config("WTF_CSRF_ENABLED", True)
def test_the_field_is_ckans_snippet(app):
    with app.flask_app.test_request_context("/dataset"):
        app.flask_app.preprocess_request()
        ours = str(tk.h.csrf_input())
        assert ours == base.render("snippets/csrf_input.html").strip()  # less the template comment's line break
        assert ours.startswith('<input type="hidden" name="_csrf_token" value="') and len(ours) > 60
        assert str(tk.h.csrf_input()) == ours  # one token per request, as CKAN's


@pytest.mark.usefixtures("with_plugins")
@pytest.mark.ckan_config("WTF_CSRF_ENABLED", True)
def test_the_field_follows_a_new_token(app):
    """The field is kept beside the request's token: a new token (a new
    session, as after logging in) gives a new field, as CKAN's snippet does."""
    from flask import g, session

    with app.flask_app.test_request_context("/dataset"):
        app.flask_app.preprocess_request()
        first = str(tk.h.csrf_input())
        g.pop("_csrf_token", None)
        session.pop("_csrf_token", None)
        second = str(tk.h.csrf_input())
        assert second != first
        assert second == base.render("snippets/csrf_input.html").strip()

"""Role actions, the data_owner field as the owner role, history, orphans,
CLI and bad input. These tests write, so each gets a clean database."""
from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from ckan.cli.cli import ckan as ckan_cli
from ckan.tests import factories
from ckan.tests.helpers import call_action

from .conftest import build_city

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


def count(table: str) -> int:
    return model.Session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


@pytest.fixture
def city():
    return build_city()


def roles_of(user: str) -> set[tuple]:
    return {(r["role"], r["scope_name"], r["deputy"])
            for r in call_action("datagovernance_role_list", {"user": "dg_office"}, user=user)}


class TestOwnerField:
    def test_field_and_role_are_one_fact(self, city):
        ds = city.datasets["internal"]
        assert call_action("package_show", {"user": "dg_office"}, id=ds["id"])["data_owner"] == "dg_owner"
        # not stored as an extra: the role table is the only source
        pkg = model.Package.get(ds["id"])
        assert "data_owner" not in pkg.extras
        # granting the role shows in the field
        call_action("datagovernance_role_grant", {"user": "dg_office"}, user="dg_plain", role="owner", dataset=ds["id"])
        assert call_action("package_show", {"user": "dg_office"}, id=ds["id"])["data_owner"] == "dg_plain"
        assert ("owner", ds["name"], False) not in roles_of("dg_owner")
        # setting the field grants the role
        call_action("package_patch", {"user": "dg_office"}, id=ds["id"], data_owner="dg_owner")
        assert ("owner", ds["name"], False) in roles_of("dg_owner")
        assert ("owner", ds["name"], False) not in roles_of("dg_plain")

    def test_setting_the_field_follows_grant_rules(self, city):
        ds = city.datasets["internal"]
        with pytest.raises(tk.ValidationError) as err:
            call_action("package_patch", {"user": "dg_org_editor", "ignore_auth": False}, id=ds["id"], data_owner="dg_plain")
        assert "data_owner" in err.value.error_dict
        assert call_action("package_show", {"user": "dg_office"}, id=ds["id"])["data_owner"] == "dg_owner"

    def test_owner_label_follows_the_role(self, city):
        ds = city.datasets["confidential"]
        ctx = {"user": "dg_plain", "ignore_auth": False}
        assert call_action("package_search", dict(ctx), q="*:*", include_private=True)["count"] == 2  # public, internal
        call_action("datagovernance_role_grant", {"user": "dg_office"}, user="dg_plain", role="owner", dataset=ds["id"])
        names = [r["name"] for r in call_action("package_search", dict(ctx), q="*:*", include_private=True)["results"]]
        assert ds["name"] in names


class TestGrantRevoke:
    def test_grant_records_history(self, city):
        call_action("datagovernance_role_grant", {"user": "dg_officer"}, user="dg_plain", role="multiplier",
                    contact="Zimmer 101", reason="Datenlotse Hochbau")
        history = call_action("datagovernance_role_history", {"user": "dg_office"}, user="dg_plain")
        assert history[0]["action"] == "grant" and history[0]["actor_name"] == "dg_officer"
        assert history[0]["reason"] == "Datenlotse Hochbau"
        call_action("datagovernance_role_revoke", {"user": "dg_officer"}, user="dg_plain", role="multiplier", reason="Wechsel")
        history = call_action("datagovernance_role_history", {"user": "dg_office"}, user="dg_plain")
        assert [h["action"] for h in history[:2]] == ["revoke", "grant"]
        assert history[0]["reason"] == "Wechsel"

    def test_steward_grants_owners_in_own_domain_only(self, city):
        ds = city.datasets["restricted"]
        call_action("datagovernance_role_grant", {"user": "dg_steward", "ignore_auth": False},
                    user="dg_plain", role="owner", dataset=ds["id"], deputy=True)
        other = call_action("package_create", {"user": "dg_sysadmin"}, name="ampeln", owner_org=city.kaemmerei["id"],
                            domain="verkehr", access_class="internal", personal_data="none")
        with pytest.raises(tk.NotAuthorized):
            call_action("datagovernance_role_grant", {"user": "dg_steward", "ignore_auth": False},
                        user="dg_plain", role="owner", dataset=other["id"])

    @pytest.mark.parametrize(
        "params, field",
        [
            ({"user": "dg_plain", "role": "kaiser"}, "role"),
            ({"user": "niemand", "role": "dpo"}, "user"),
            ({"user": "dg_plain", "role": "steward", "domain": "atlantis"}, "domain"),
            ({"user": "dg_plain", "role": "steward"}, "domain"),
            ({"user": "dg_plain", "role": "owner", "dataset": "gibt-es-nicht"}, "dataset"),
            ({"user": "dg_plain", "role": "dpo", "deputy": True}, "deputy"),
            ({"user": "dg_dpo", "role": "dpo"}, "user"),  # duplicate grant
        ],
    )
    def test_bad_grants_are_clear_errors_and_write_nothing(self, city, params, field):
        before = (count("datagovernance_role"), count("datagovernance_role_event"))
        with pytest.raises(tk.ValidationError) as err:
            call_action("datagovernance_role_grant", {"user": "dg_sysadmin"}, **params)
        assert field in err.value.error_dict
        model.Session.rollback()
        assert (count("datagovernance_role"), count("datagovernance_role_event")) == before

    def test_unknown_role_error_names_allowed_roles(self, city):
        with pytest.raises(tk.ValidationError) as err:
            call_action("datagovernance_role_grant", {"user": "dg_sysadmin"}, user="dg_plain", role="kaiser")
        assert "governance_officer" in err.value.error_dict["role"][0]

    def test_revoke_of_role_not_held(self, city):
        before = count("datagovernance_role_event")
        with pytest.raises(tk.ValidationError):
            call_action("datagovernance_role_revoke", {"user": "dg_sysadmin"}, user="dg_plain", role="dpo")
        assert count("datagovernance_role_event") == before

    def test_nobody_grants_to_themselves(self, city):
        for actor in ("dg_sysadmin", "dg_officer"):
            with pytest.raises(tk.NotAuthorized):
                call_action("datagovernance_role_grant", {"user": actor, "ignore_auth": False}, user=actor, role="iso")
        with pytest.raises(tk.NotAuthorized):
            call_action("datagovernance_role_grant", {"user": "dg_steward", "ignore_auth": False}, user="dg_steward",
                        role="owner", dataset=city.datasets["public"]["id"])


class TestLeavingUsers:
    def test_deleted_owner_hands_over_to_deputy_or_orphans(self, city):
        ds = city.datasets["internal"]
        call_action("user_delete", {"user": "dg_sysadmin"}, id="dg_owner")
        # the deputy took over every dataset of the deleted owner
        assert call_action("package_show", {"user": "dg_office"}, id=ds["id"])["data_owner"] == "dg_owner_deputy"
        call_action("user_delete", {"user": "dg_sysadmin"}, id="dg_owner_deputy")
        orphaned = call_action("datagovernance_role_orphaned", {"user": "dg_office", "ignore_auth": False})
        assert ds["name"] in [d["name"] for d in orphaned["datasets"]]
        history = call_action("datagovernance_role_history", {"user": "dg_office"}, dataset=ds["id"])
        assert "orphaned" in [h["action"] for h in history]

    def test_blocked_owner_hands_over_cannot_log_in_and_can_be_unblocked(self, city, app):
        ds = city.datasets["confidential"]
        token = call_action("api_token_create", {"user": "dg_owner"}, user="dg_owner", name="t")["token"]
        auth = {"Authorization": token}
        assert app.get(f"/api/3/action/package_show?id={ds['id']}", headers=auth).status_code == 200
        result = call_action("datagovernance_user_block", {"user": "dg_officer", "ignore_auth": False},
                             id="dg_owner", reason="Dienststelle gewechselt")
        assert {"role": "owner", "scope_id": ds["id"], "successor": city.users["owner_deputy"]["id"]} in result["duties"]
        assert model.User.get("dg_owner").state == "blocked"
        # the deputy owns the dataset now, and the blocked user reads nothing any more
        assert call_action("package_show", {"user": "dg_office"}, id=ds["id"])["data_owner"] == "dg_owner_deputy"
        assert app.get(f"/api/3/action/package_show?id={ds['id']}", headers=auth).status_code == 404
        history = call_action("datagovernance_role_history", {"user": "dg_office"}, user="dg_owner")
        assert history[0]["action"] == "revoke" and "Dienststelle gewechselt" in history[0]["reason"]
        # a second block is a clear error; unblock restores the login, not the duties
        with pytest.raises(tk.ValidationError) as err:
            call_action("datagovernance_user_block", {"user": "dg_officer"}, id="dg_owner", reason="x")
        assert "id" in err.value.error_dict
        call_action("datagovernance_user_unblock", {"user": "dg_sysadmin", "ignore_auth": False}, id="dg_owner")
        assert model.User.get("dg_owner").state == "active"
        assert call_action("package_show", {"user": "dg_office"}, id=ds["id"])["data_owner"] == "dg_owner_deputy"

    def test_revoked_deputy_roles_leave_no_search_label(self, city):
        # a blocked deputy loses the deputy role; after unblocking, search
        # must agree with package_show (the index is refreshed too)
        ds = city.datasets["confidential"]
        ctx = {"user": "dg_owner_deputy", "ignore_auth": False}
        assert ds["name"] in [r["name"] for r in call_action("package_search", dict(ctx), q="*:*",
                                                              include_private=True)["results"]]
        call_action("datagovernance_user_block", {"user": "dg_officer"}, id="dg_owner_deputy", reason="Elternzeit")
        call_action("datagovernance_user_unblock", {"user": "dg_officer"}, id="dg_owner_deputy")
        with pytest.raises(tk.ObjectNotFound):  # hidden = missing
            call_action("package_show", dict(ctx), id=ds["id"])
        assert ds["name"] not in [r["name"] for r in call_action("package_search", dict(ctx), q="*:*",
                                                                  include_private=True)["results"]]

    @pytest.mark.parametrize("actor, data, error", [
        ("dg_office", {"id": "dg_owner", "reason": "x"}, tk.NotAuthorized),
        ("dg_officer", {"id": "dg_officer", "reason": "x"}, tk.NotAuthorized),
        ("dg_officer", {"id": "dg_owner"}, "reason"),
        ("dg_officer", {"id": "niemand", "reason": "x"}, "id"),
    ])
    def test_bad_blocks_write_nothing(self, city, actor, data, error):
        events = count("datagovernance_role_event")
        with pytest.raises(tk.NotAuthorized if error is tk.NotAuthorized else tk.ValidationError) as err:
            call_action("datagovernance_user_block", {"user": actor, "ignore_auth": False}, **data)
        if error is not tk.NotAuthorized:
            assert error in err.value.error_dict
        model.Session.rollback()
        assert model.User.get("dg_owner").state == "active"
        assert count("datagovernance_role_event") == events

    def test_account_deactivated_elsewhere_shows_as_orphaned(self, city):
        # e.g. an SSO extension or `ckan user` sets the state directly
        model.User.get("dg_owner").state = "pending"
        model.Session.commit()
        orphaned = call_action("datagovernance_role_orphaned", {"user": "dg_office"})
        assert city.datasets["internal"]["name"] in [d["name"] for d in orphaned["datasets"]]

    def test_block_cli(self, city, cli):
        result = cli.invoke(ckan_cli, ["datagovernance", "user", "block", "dg_other_steward", "--reason", "Ruhestand"])
        assert result.exit_code == 0, result.output
        assert "steward" in result.output and "orphaned" in result.output
        orphaned = call_action("datagovernance_role_orphaned", {"user": "dg_office"})
        assert "verkehr" in [d["name"] for d in orphaned["domains"]]
        result = cli.invoke(ckan_cli, ["datagovernance", "user", "block", "dg_plain", "--reason", "x", "--as", "dg_plain"])
        assert result.exit_code == 2
        result = cli.invoke(ckan_cli, ["datagovernance", "user", "unblock", "dg_other_steward"])
        assert result.exit_code == 0 and model.User.get("dg_other_steward").state == "active"

    def test_block_from_the_user_page(self, city, app):
        from bs4 import BeautifulSoup

        def headers(user: str) -> dict[str, str]:
            return {"Authorization": call_action("api_token_create", {"user": user}, user=user, name="p")["token"]}

        officer, office = headers("dg_officer"), headers("dg_office")
        page = BeautifulSoup(app.get("/user/dg_other_steward", headers=officer).body, "html.parser")
        assert page.select_one("form.datagovernance-block")
        page = BeautifulSoup(app.get("/user/dg_other_steward", headers=office).body, "html.parser")
        assert page.select_one("form.datagovernance-block") is None  # the office may not block
        app.post("/rollen/sperren", headers=officer, data={"id": "dg_other_steward", "reason": "Ruhestand"})
        assert model.User.get("dg_other_steward").state == "blocked"
        page = BeautifulSoup(app.get("/user/dg_other_steward", headers=officer).body, "html.parser")
        assert page.select_one(".datagovernance-blocked")
        app.post("/rollen/entsperren", headers=officer, data={"id": "dg_other_steward"})
        assert model.User.get("dg_other_steward").state == "active"

    def test_orphaned_domains_are_those_no_steward_covers(self, city):
        # mietobjekte has no steward of its own, its parent gebaeude's steward covers it
        names = [d["name"] for d in call_action("datagovernance_role_orphaned", {"user": "dg_office"})["domains"]]
        assert "mietobjekte" not in names and "gebaeude" not in names
        call_action("datagovernance_role_revoke", {"user": "dg_sysadmin"}, user="dg_steward", role="steward",
                    domain="gebaeude", reason="Wechsel")
        names = [d["name"] for d in call_action("datagovernance_role_orphaned", {"user": "dg_office"})["domains"]]
        assert "mietobjekte" in names and "gebaeude" in names  # a deputy alone covers nothing

    def test_orphaned_list_is_for_the_office(self, city):
        with pytest.raises(tk.NotAuthorized):
            call_action("datagovernance_role_orphaned", {"user": "dg_plain", "ignore_auth": False})


class TestCli:
    def test_grant_list_revoke(self, city, cli):
        result = cli.invoke(ckan_cli, ["datagovernance", "role", "grant", "dg_plain", "steward", "--domain", "verkehr",
                                       "--reason", "Verkehrsdaten"])
        assert result.exit_code == 0, result.output
        result = cli.invoke(ckan_cli, ["datagovernance", "role", "list", "--role", "steward"])
        assert "dg_plain\tsteward\tdomain:verkehr" in result.output
        result = cli.invoke(ckan_cli, ["datagovernance", "role", "revoke", "dg_plain", "steward", "--domain", "verkehr"])
        assert result.exit_code == 0
        result = cli.invoke(ckan_cli, ["datagovernance", "role", "grant", "dg_plain", "steward", "--domain", "atlantis"])
        assert result.exit_code == 1 and "domain" in result.output
        result = cli.invoke(ckan_cli, ["datagovernance", "role", "grant", "dg_plain", "dpo", "--as", "dg_office"])
        assert result.exit_code == 2
        result = cli.invoke(ckan_cli, ["datagovernance", "role", "--help"])
        assert "grant" in result.output and "revoke" in result.output


def test_site_user_can_be_used_without_roles(city):
    # a fresh user has no roles and sees only what anyone logged in sees
    factories.User(name="neu")
    assert call_action("datagovernance_role_list", {"user": "dg_office"}, user="neu") == []


def test_domain_cycle_does_not_hang_the_labels(city):
    # a parent cycle written behind the validators' back (direct DB edit)
    g = model.Group.get("gebaeude")
    g.extras = dict(g.extras, parent_domain="mietobjekte")
    model.Session.commit()
    ds = city.datasets["confidential"]
    call_action("package_patch", {"user": "dg_sysadmin"}, id=ds["id"], notes="neu indexiert")
    shown = call_action("package_show", {"user": "dg_steward", "ignore_auth": False}, id=ds["id"])
    assert shown["data_owner"] == "dg_owner"
    assert call_action("package_search", {"user": "dg_steward", "ignore_auth": False}, q="name:" + ds["name"],
                       include_private=True)["count"] == 1

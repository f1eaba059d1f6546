"""Property-based: random and malformed input to every suite action never
gives a server error and, when refused, writes nothing.

The actions are taken from CKAN's registry (every `datagovernance_*` name),
so an action added later is covered without touching this file."""
from __future__ import annotations

import ckan.logic as logic
import ckan.model as model
import pytest
import sqlalchemy as sa
from ckan.tests.helpers import call_action
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .roles.conftest import build_city

pytestmark = pytest.mark.usefixtures("with_plugins")

KEYS = ["id", "name", "user", "role", "domain", "dataset", "deputy", "reason", "comment", "to",
        "expected_state", "decision", "legal_basis", "limit", "rdf", "format", "organization", "q",
        "rows", "status", "kind", "email", "text", "until", "package_id", "rows_data", "dry_run"]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2**40, max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.sampled_from(["mietvertraege-confidential", "dg_owner", "steward", "owner", "gebaeude",
                     "published", "in_review", "approve", "public", "ttl", "jsonld", "-1", "0",
                     "'\"); DROP TABLE package; --", "*:*", "x" * 300, "ü€\u0000"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=6)
PAYLOADS = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6)


def suite_actions() -> list[str]:
    logic.clear_actions_cache()
    logic.get_action("package_show")  # fills the registry
    return sorted(name for name in logic._actions if name.startswith("datagovernance_"))


def written_state() -> dict[str, int]:
    """Row counts of every suite table plus CKAN's dataset, activity and member tables."""
    tables = model.Session.execute(sa.text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND "
        "(tablename LIKE 'datagovernance%' OR tablename IN ('package', 'activity', 'member', 'user', "
        "'package_extra', 'resource', 'group')) AND tablename NOT LIKE '%alembic%'"
    )).scalars().all()
    state = {t: model.Session.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}
    state["_modified"] = str(model.Session.execute(sa.text("SELECT max(metadata_modified) FROM package")).scalar())
    model.Session.rollback()
    return state


@pytest.fixture(scope="module")
def fuzz_city():
    import ckan.plugins as plugins

    from .conftest import reset_and_migrate

    plugins.load_all()
    try:
        reset_and_migrate()
        city = build_city()
        tokens = {u: call_action("api_token_create", {"user": u}, user=u, name="fuzz")["token"]
                  for u in ("dg_sysadmin", "dg_plain")}
        yield city, tokens
    finally:
        plugins.unload_all()


@pytest.mark.parametrize("caller", ["anonymous", "dg_plain", "dg_sysadmin"])
def test_random_input_never_breaks_and_refusals_write_nothing(fuzz_city, app, caller):
    _city, tokens = fuzz_city
    headers = {"Authorization": tokens[caller]} if caller in tokens else {}
    actions = suite_actions()
    assert "datagovernance_role_grant" in actions and "datagovernance_workflow_transition" in actions

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(action=st.sampled_from(actions), payload=PAYLOADS)
    def probe(action: str, payload: dict) -> None:
        before = written_state()
        res = app.post(f"/api/3/action/{action}", json=payload, headers=headers)
        assert res.status_code < 500, (action, payload, res.body[:500])
        if res.status_code != 200:
            assert written_state() == before, (action, payload, res.status_code)

    probe()

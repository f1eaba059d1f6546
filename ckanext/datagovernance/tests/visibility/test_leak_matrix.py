"""The generated leak test: nothing of a dataset reaches a caller who may not
read it, through any route of the app or any registered action.

Endpoints are enumerated, not listed: every rule of the Flask ``url_map`` and
every action in CKAN's registry is probed, with parameters filled from the
probe catalog by name (see ``_route_values``/``_action_params``); a new
endpoint is probed as soon as it exists, and one whose parameters the filler
does not know fails ``test_every_endpoint_is_probed_or_skipped_for_a_reason``
until it is taught or skipped below with a reason.

Who asks: anonymous, an unrelated logged-in user and every role; the oracle
is ``roles/policy.py: may_read`` on the dataset as it is now. What is checked:
response bodies and headers for the dataset's id and its ``probeNN`` key
(part of its name, title, notes, tag, resource URL and internal values), and
the counts (search count and facets, organisation/group ``package_count``).

Requests are rotated so the module stays around two minutes: every endpoint
is probed by anonymous, the unrelated user and a rotating role; object
endpoints (those naming a dataset) rotate through the caller's hidden
datasets, so each hidden dataset is probed by many endpoints.
"""
from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import ckan.model as model
import pytest
from ckan.tests.helpers import call_action

from .conftest import key_of

pytestmark = [
    pytest.mark.usefixtures("with_plugins"),
    pytest.mark.ckan_config(
        "ckan.plugins",
        "activity datagovernance_search datagovernance scheming_datasets scheming_groups "
        "scheming_organizations dcat datagovernance_dcat",
    ),
]

ROLES = ("officer", "office", "steward", "other_steward", "owner", "dpo", "iso", "org_editor", "org_member")
PERSONAS = ("anonymous", "plain", *ROLES)

# -- what is not probed, and why ---------------------------------------------------
# GET routes skipped by endpoint (POST-only routes are never probed: they write).
SKIP_ROUTES = {
    "static": "files of the app itself",
    "webassets.index": "compiled CSS/JS",
    "api.action": "every action is probed by test_actions_leak_nothing",
    "api.i18n_js_translations": "UI translations",
    "user.logout": "ends the session",
    "user.logged_out_page": "a redirect after logout",
    "util.internal_redirect": "redirects to a URL from the form",
    "home.redirect_locale": "redirects to the same page in another language",
    "file.download": "uploaded files (the probe catalog links URLs, no uploads)",
    "file.public_download": "uploaded files (the probe catalog links URLs, no uploads)",
    "file.trusted_download": "signed download tokens (no uploads)",
    "user.perform_reset": "needs a password-reset key",
    "util.primer": "CKAN's static style guide",
    "util.custom_form_fields": "CKAN's static form test page",
    "activity.dashboard_testing": "CKAN's static test page",
}
# Arguments without a value in the probe catalog: routes needing them are skipped.
NO_VALUE = {"view_id": "no resource views in the probe catalog",
            "user_id": "collaborator removal (writes)"}
# Actions that are not side-effect free change the catalog; they are skipped
# when their name says they write (reading ones are probed with POST).
WRITES = re.compile(
    r"create|update|patch|delete|purge|revoke|grant|follow|block|signoff|transition|reorder|clear|"
    r"cancel|send|invite|register|rename|pin|transfer|revise|mark"
)
SKIP_ACTIONS = {
    "datagovernance_feedback_comment": "adds a comment to a request (writes)",
    "datagovernance_quality_link_check": "queues a link check (writes)",
    "datagovernance_inventory_import": "imports datasets (writes)",
    "get_site_user": "the site user's API key (sysadmin only, no dataset content)",
    "job_list": "background jobs (sysadmin only)",
    "job_show": "background jobs (sysadmin only)",
}
FACETS = ["tags", "organization", "groups", "res_format", "license_id", "access_class", "workflow_state"]
# Parameters of actions that list or search (the filler adds `id`).
ACTION_PARAMS: dict[str, dict[str, Any]] = {
    "package_search": {"q": "", "include_private": True, "include_drafts": True, "rows": 1000,
                       "facet.field": json.dumps(FACETS), "facet.limit": -1},
    "package_autocomplete": {"q": "probe", "limit": 100},
    "tag_autocomplete": {"q": "probe", "limit": 100},
    "tag_search": {"query": "probe", "limit": 1000},
    "tag_list": {"all_fields": True},
    "format_autocomplete": {"q": "c"},
    "group_autocomplete": {"q": "vis"},
    "organization_autocomplete": {"q": "vis"},
    "user_autocomplete": {"q": "vis"},
    "user_list": {"q": "vis"},
    "resource_search": {"query": "url:intern.example"},
    "group_show": {"include_datasets": True},
    "organization_show": {"include_datasets": True},
    "group_list": {"all_fields": True},
    "organization_list": {"all_fields": True},
    "organization_list_for_user": {"include_dataset_count": True},
    "group_list_authz": {},
    "member_list": {"object_type": "package"},
    "user_show": {"include_datasets": True},
    "current_package_list_with_resources": {"limit": 1000},
    "group_package_show": {"limit": 1000},
    "dcat_catalog_search": {"q": "probe"},
    "datagovernance_hvd_report": {},
}
# Actions whose `id` names something other than the prefix suggests.
DATASET_LISTINGS = {"package_search", "package_list", "package_autocomplete", "current_package_list_with_resources",
                    "package_collaborator_list_for_user", "dataset_followee_list", "dataset_followee_count"}


def _dataset_action(name: str) -> bool:
    if name in DATASET_LISTINGS:
        return False
    return bool(re.match(r"(package_|dataset_|dcat_dataset|datagovernance_workflow|datagovernance_dataset|"
                         r"datagovernance_role_(list|history)|resource_|activity_(show|data_show|diff)|tag_show)", name))


def _listing_id(name: str) -> list[str | None]:
    if name.startswith("organization_") or name in ("datagovernance_hvd_report",):
        return ["vis-hochbau"]
    if name.startswith("group_"):
        return ["vis-themen", "vis-mietobjekte"]
    if name == "member_list":
        return ["vis-hochbau", "vis-themen"]
    if re.match(r"(user_|followee_|dataset_followee|api_token|package_collaborator_list_for_user|dashboard_)", name):
        return ["vis_sysadmin"]
    return [None]


# -- fixture ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def probe(probe_catalog) -> dict[str, Any]:
    import ckan.plugins as plugins
    from ckanext.activity.model import Activity

    from .conftest import readable

    plugins.load_all()
    try:
        tokens = {p: call_action("api_token_create", {}, user=f"vis_{p}", name="leak")["token"] for p in ROLES + ("plain",)}
        tokens["anonymous"] = ""
        datasets = probe_catalog.datasets
        visible = {p: {k for k, ds in datasets.items() if readable(p, ds)} for p in PERSONAS}
        hidden = {p: sorted(set(datasets) - visible[p]) for p in PERSONAS}
        state = {k: model.Package.get(ds["id"]).state for k, ds in datasets.items()}
        activity = {}
        for k, ds in datasets.items():
            act = (model.Session.query(Activity).filter_by(object_id=ds["id"])
                   .order_by(Activity.timestamp.desc()).first())
            activity[k] = act.id if act else None
        return {"tokens": tokens, "visible": visible, "hidden": hidden, "state": state,
                "activity": activity, "datasets": datasets}
    finally:
        plugins.unload_all()


def _oracle_follows_the_access_rules(probe):
    assert probe["visible"]["anonymous"] == {"public/published"}
    assert probe["visible"]["plain"] == {"public/published"} | {k for k in probe["datasets"] if k.startswith("internal/")}
    # nobody but sysadmins reads deleted datasets; the CKAN draft is not open data
    assert all("deleted" in probe["hidden"][p] for p in PERSONAS)
    assert "ckan-draft" in probe["hidden"]["plain"] and "reclassified" in probe["hidden"]["plain"]
    assert "reclassified" not in probe["hidden"]["officer"]


# -- probing ---------------------------------------------------------------------------
TIMES: list[tuple[float, str]] = []  # request durations, printed slowest first


def _slowest() -> None:
    print(f"{len(TIMES)} requests, {sum(t for t, _ in TIMES):.1f} s;",
          "slowest:", "; ".join(f"{w} {t:.2f}s" for t, w in sorted(TIMES, reverse=True)[:8]))
    TIMES.clear()


def _headers(probe, persona: str) -> dict[str, str]:
    token = probe["tokens"][persona]
    return {"Authorization": token} if token else {}


def _leaks(probe, persona: str, text: str, asked: str) -> list[str]:
    """Markers of datasets `persona` may not read found in `text` (a marker
    the caller typed into the request itself is no news to them)."""
    found = []
    for k in probe["hidden"][persona]:
        ds = probe["datasets"][k]
        for marker in (ds["id"], key_of(ds)):
            if marker in text and marker not in asked:
                found.append(f"{k}:{marker}")
    return found


def _body_text(res: Any) -> str:
    """The response as text; a spreadsheet download (XLSX) by its cell values."""
    data = res.get_data()
    if data[:2] == b"PK":  # a zip container: XLSX exports
        import io

        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        except Exception:  # noqa: BLE001 - some other zip: look at its bytes
            return data.decode("utf-8", "replace")
        return "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for cell in row if cell is not None)
    return data.decode("utf-8", "replace")


def _check(app, probe, persona: str, method: str, url: str, params: dict[str, Any] | None, where: str,
           failures: list[str]) -> Any:
    asked = url + json.dumps(params or {}, default=str)
    started = time.monotonic()
    try:
        if method == "GET":
            res = app.get(url, query_string=params, headers=_headers(probe, persona), status=None,
                          follow_redirects=False)
        else:
            res = app.post(url, json=params or {}, headers=_headers(probe, persona), status=None,
                           follow_redirects=False)
    except Exception as e:  # noqa: BLE001 - the test app re-raises what would be a 500
        failures.append(f"{where} as {persona}: 500 ({e!r:.120})")
        return None
    TIMES.append((time.monotonic() - started, where))
    if res.status_code >= 500:
        failures.append(f"{where} as {persona}: {res.status_code}")
    text = _body_text(res) + "\n" + "\n".join(f"{k}: {v}" for k, v in res.headers.items())
    leaks = _leaks(probe, persona, text, asked)
    if leaks:
        failures.append(f"{where} as {persona}: {', '.join(leaks[:4])}")
    return res


# the unrelated user on every second endpoint, the roles in turn in between
_ROTATION = [p for role in ROLES for p in ("plain", role)]


def _callers(i: int, objects: bool = True) -> list[str]:
    """Endpoints naming a dataset: anonymous and, rotating, the unrelated user
    or a role; listings: one caller, anonymous on every second endpoint."""
    if objects:
        return ["anonymous", _ROTATION[i % len(_ROTATION)]]
    return ["anonymous" if i % 2 else _ROTATION[(i // 2) % len(_ROTATION)]]


def _hidden_for(probe, persona: str, i: int, need: str = "") -> dict[str, Any] | None:
    keys = [k for k in probe["hidden"][persona] if not need or probe[need].get(k)]
    return probe["datasets"][keys[i % len(keys)]] if keys else None


# -- routes --------------------------------------------------------------------------
DATASET_BLUEPRINTS = ("dataset", "dataset_resource", "resource", "geodataset", "geodataset_resource", "dcat",
                      "datagovernance_workflow")
DATASET_ENDPOINTS = ("activity.package_", "activity.resource_history", "activity.package_changes",
                     "datagovernance_feedback.dataset_form")


# routes whose <id> is an activity id
ACTIVITY_ID_ROUTES = ("activity.package_changes", "activity.group_changes", "activity.organization_changes")
# routes that take activity ids as query parameters
ACTIVITY_QUERY_ROUTES = ("activity.package_changes_multiple", "activity.group_changes_multiple",
                         "activity.organization_changes_multiple")


def _is_dataset_route(rule) -> bool:
    if rule.endpoint in ACTIVITY_ID_ROUTES + ACTIVITY_QUERY_ROUTES:
        return True
    blueprint = rule.endpoint.split(".")[0]
    return bool({"id", "_id"} & set(rule.arguments)) and (
        blueprint in DATASET_BLUEPRINTS or rule.endpoint.startswith(DATASET_ENDPOINTS)
    )


def _route_values(rule, ds: dict[str, Any] | None, probe, k: str | None) -> dict[str, Any] | str:
    """Values for the rule's arguments, or the reason it cannot be probed."""
    values: dict[str, Any] = {}
    blueprint = rule.endpoint.split(".")[0]
    for arg in sorted(rule.arguments - set(rule.defaults or {})):
        if arg in NO_VALUE:
            return NO_VALUE[arg]
        if arg == "id" and rule.endpoint in ACTIVITY_ID_ROUTES:
            if ds is None or not probe["activity"].get(k):
                return "no activity"
            values[arg] = probe["activity"][k]
        elif arg in ("id", "_id") and ds is not None and _is_dataset_route(rule):
            values[arg] = ds["id"]
        elif arg == "id" and rule.endpoint == "feeds.tag":
            values[arg] = ds["tags"][0]["name"] if ds else "probe"
        elif arg == "id" and (blueprint in ("organization",) or "organization" in rule.endpoint):
            values[arg] = "vis-hochbau"
        elif arg == "id" and (blueprint == "domain"):
            values[arg] = "vis-mietobjekte"
        elif arg == "id" and (blueprint == "group" or "group" in rule.endpoint):
            values[arg] = "vis-themen"
        elif arg == "id" and (blueprint == "user" or rule.endpoint == "activity.user_activity"):
            values[arg] = "vis_sysadmin"
        elif arg == "resource_id" and ds is not None:
            values[arg] = ds["resources"][0]["id"]
        elif arg == "activity_id" and ds is not None:
            values[arg] = probe["activity"][k]
        elif arg == "id" and rule.endpoint == "datagovernance_feedback.item":
            values[arg] = "probe-unknown-request"  # no request exists: must answer 404
        elif arg == "job_id" and blueprint == "datagovernance_inventory":
            values[arg] = "probe-unknown-job"  # no import job exists: must answer 404
        elif arg == "_format":
            values[arg] = "ttl"
        elif arg == "fmt":  # the suite's exports (inventory): XLSX is read cell by cell
            values[arg] = "xlsx"
        elif arg == "target":  # the suite's feeds (GovData, Hessen, HVD): all serve the same selection rule
            values[arg] = "govdata"
        elif arg == "filename":
            values[arg] = "probe.csv"
        elif arg == "ver":
            values[arg] = 3 if "action" in rule.rule or rule.endpoint == "api.get_api" else 2
        elif arg == "lang":
            values[arg] = "de"
        else:
            return f"no value for <{arg}>"
    return values


def _build(rule, values: dict[str, Any]) -> str | None:
    try:
        built = rule.build(values, append_unknown=False)
    except Exception:  # noqa: BLE001 - a converter refused the value
        return None
    return built[1] if built else None


def _routes(app) -> Iterator[Any]:
    """Every rule once (a blueprint registered twice, e.g. resource and
    dataset_resource, gives the same URL twice)."""
    seen = set()
    for rule in sorted(app.flask_app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.rule not in seen:
            seen.add(rule.rule)
            yield rule


def _route_skip(rule) -> str | None:
    if "GET" not in rule.methods:
        return "POST only (writes)"
    return SKIP_ROUTES.get(rule.endpoint)


def test_routes_leak_nothing(app, probe):
    failures: list[str] = []
    probed, skipped = 0, {}
    for i, rule in enumerate(_routes(app)):
        reason = _route_skip(rule)
        if reason:
            skipped[rule.rule] = reason
            continue
        dataset_route = _is_dataset_route(rule) or rule.endpoint == "feeds.tag"
        for persona in _callers(i, dataset_route):
            need = "activity" if ({"activity_id"} & rule.arguments or rule.endpoint in ACTIVITY_ID_ROUTES
                                  + ACTIVITY_QUERY_ROUTES) else ""
            ds = _hidden_for(probe, persona, i, need) if dataset_route else None
            if dataset_route and ds is None:
                continue  # nothing hidden from this caller (or no activity of it)
            k = next((key for key, d in probe["datasets"].items() if d is ds), None)
            values = _route_values(rule, ds, probe, k)
            if isinstance(values, str):
                if values not in NO_VALUE.values():
                    failures.append(f"route {rule.rule} ({rule.endpoint}): {values}; teach _route_values or skip it")
                skipped[rule.rule] = values
                break
            url = _build(rule, values)
            if url is None:
                failures.append(f"route {rule.rule} ({rule.endpoint}): cannot build from {values}")
                break
            params = None
            if rule.endpoint.endswith(("search", "index")):
                params = {"q": "probe"}
            elif rule.endpoint.endswith("autocomplete"):
                params = {"incomplete": "probe", "q": "probe"}
            elif rule.endpoint in ACTIVITY_QUERY_ROUTES:
                params = {"new_id": probe["activity"][k], "old_id": probe["activity"][k]}
            res = _check(app, probe, persona, "GET", url, params, f"GET {url}", failures)
            probed += 1
            if (dataset_route and res is not None and res.status_code == 200
                    and rule.endpoint.split(".")[0] in ("dataset", "dcat", "dataset_resource")):
                failures.append(f"GET {url} as {persona}: 200 for a dataset they may not read")
    _slowest()
    assert probed > 60
    assert not failures, "\n".join(failures[:80])


# -- actions -------------------------------------------------------------------------
def _action_params(name: str, ds: dict[str, Any] | None, probe, k: str | None) -> dict[str, Any] | None:
    params = dict(ACTION_PARAMS.get(name, {}))
    if ds is None:
        return params
    if name in ("resource_show", "resource_view_list"):
        return dict(params, id=ds["resources"][0]["id"])
    if name.startswith("activity_"):
        if not probe["activity"].get(k):
            return None
        return dict(params, id=probe["activity"][k], object_type="package")
    if name == "tag_show":
        return dict(params, id=ds["tags"][0]["name"], include_datasets=True)
    if name.startswith("datagovernance_"):
        return dict(params, id=ds["id"], dataset=ds["id"])
    return dict(params, id=ds["id"])


def test_actions_leak_nothing(app, probe):
    import ckan.logic as logic

    failures: list[str] = []
    probed = 0
    logic.get_action("package_show")  # fills the registry
    for i, name in enumerate(sorted(logic._actions)):
        fn = logic._actions[name]
        readonly = getattr(fn, "side_effect_free", False)
        if name in SKIP_ACTIONS or (not readonly and WRITES.search(name)):
            continue
        if not readonly and not (_dataset_action(name) or name in ACTION_PARAMS):
            failures.append(f"action {name} (POST only, reads?): teach the filler its parameters or skip it")
            continue
        method = "GET" if readonly else "POST"
        for persona in _callers(i, _dataset_action(name)):
            if _dataset_action(name):
                need = "activity" if name.startswith("activity_") else ""
                ds = _hidden_for(probe, persona, i, need)
                if ds is None:
                    continue
                k = next(key for key, d in probe["datasets"].items() if d is ds)
                calls = [_action_params(name, ds, probe, k)]
                if name == "package_show":  # by name too: a 403 used to name the id
                    calls.append({"id": ds["name"]})
            else:
                calls = [dict(_action_params(name, None, probe, None) or {}, **({"id": ref} if ref else {}))
                         for ref in _listing_id(name)]
            for params in calls:
                if params is None:
                    continue
                if method == "GET":
                    params = {key: json.dumps(v) if isinstance(v, bool) else v for key, v in params.items()}
                _check(app, probe, persona, method, f"/api/3/action/{name}", params, f"{name} {params}", failures)
                probed += 1
    _slowest()
    assert probed > 100
    assert not failures, "\n".join(failures[:80])


# -- counts ----------------------------------------------------------------------------
def test_counts_agree_with_what_the_caller_may_read(app, probe):
    _oracle_follows_the_access_rules(probe)
    for persona in PERSONAS:
        _counts_agree(app, probe, persona)


def _counts_agree(app, probe, persona: str) -> None:
    visible = probe["visible"][persona]
    findable = {k for k in visible if probe["state"][k] in ("active", "draft")}
    active = {k for k in visible if probe["state"][k] == "active"}
    headers = _headers(probe, persona)

    def api(action: str, **params: Any) -> Any:
        return app.get(f"/api/3/action/{action}", query_string=params, headers=headers).json["result"]

    search = api("package_search", q="", fq="name:probe*", include_private="true", include_drafts="true",
                 rows=0, **{"facet.field": json.dumps(["tags", "organization", "groups"]), "facet.limit": -1})
    assert search["count"] == len(findable), persona
    tags = {probe["datasets"][k]["tags"][0]["name"] for k in findable}
    assert set(search["facets"].get("tags", {})) == tags, persona
    assert search["facets"].get("organization", {}).get("vis-hochbau", 0) == len(findable), persona
    assert search["facets"].get("groups", {}).get("vis-themen", 0) == len(findable), persona
    assert api("organization_show", id="vis-hochbau")["package_count"] == len(active), persona
    assert api("group_show", id="vis-themen")["package_count"] == len(active), persona
    orgs = {o["name"]: o["package_count"] for o in api("organization_list", all_fields="true")}
    assert orgs["vis-hochbau"] == len(active), persona
    groups = {g["name"]: g["package_count"] for g in api("group_list", all_fields="true")}
    assert groups["vis-themen"] == len(active), persona

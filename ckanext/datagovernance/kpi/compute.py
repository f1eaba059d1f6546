"""The KPI figures, by SQL aggregates over CKAN's package table (scheming
fields live in ``package.extras``), the role table, the workflow history and
the newest quality score: a few queries, no ``package_show`` per dataset.

Definitions (docs/kpi.md):
- inventory: active datasets (not harvest sources)
- with owner: an active, non-deputy data owner (the roles' orphaned list is the rest)
- with steward: the dataset's domain or a parent domain has an active steward
- could be open: access class ``public``; published open: those also ``published``
- HVD compliant: flagged high-value datasets whose HVD gate and shapes pass
  (from the newest quality score)
- lead time: days from creation to the first publication (median)
- overdue review: re-evaluation date in the past, not archived
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.model as model
import sqlalchemy as sa

from ..roles import service as roles

ACCESS_CLASSES = ("public", "internal", "restricted", "confidential")
PERSONAL_DATA = ("none", "anonymised", "pseudonymised", "personal")
STATES = ("draft", "in_review", "approved", "published", "withdrawn", "archived")
BANDS = ("excellent", "good", "sufficient", "bad")
# numeric KPIs (snapshots, trends, OKR key results); shares in per cent
NUMERIC = (
    "inventory", "with_owner", "share_owner", "with_steward", "share_steward", "could_be_open",
    "published_open", "share_published_open", "personal", "share_personal", "hvd_flagged",
    "hvd_compliant", "share_hvd_compliant", "quality_scored", "quality_avg",
    "lead_time_median_days", "overdue_reviews", "orphaned",
    "feedback_open", "feedback_hours_to_first_answer", "harvest_errors",
)
PERCENT = frozenset(k for k in NUMERIC if k.startswith("share_"))

_BASE = """
    SELECT p.id, p.owner_org, p.metadata_created,
           coalesce(nullif(p.extras->>'access_class', ''), 'internal') AS access_class,
           coalesce(nullif(p.extras->>'personal_data', ''), 'none') AS personal_data,
           coalesce(nullif(p.extras->>'workflow_state', ''), 'draft') AS workflow_state,
           p.extras->>'domain' AS domain,
           coalesce(p.extras->>'hvd_category', '') NOT IN ('', '[]') AS hvd,
           p.extras->>'reevaluation_date' AS review_date
    FROM package p
    WHERE p.state = 'active' AND p.type <> 'harvest' {scope}
"""
_LATEST_SCORE = "SELECT package_id, score, band, hvd_compliant FROM datagovernance_quality_current"


def _domain_refs(domain_ids: set[str]) -> list[str]:
    """Ids and names of these domains (the dataset field holds either)."""
    if not domain_ids:
        return []
    rows = model.Session.execute(sa.select(model.Group.id, model.Group.name).where(
        model.Group.id.in_(list(domain_ids)))).all()
    return [ref for row in rows for ref in row]


def stewarded_domain_refs() -> list[str]:
    """Domains covered by an active steward, with all their sub-domains."""
    ids = model.Session.scalars(sa.text("""
        SELECT r.scope_id FROM datagovernance_role r JOIN "user" u ON u.id = r.user_id
        WHERE r.role = 'steward' AND NOT r.deputy AND u.state = 'active'""")).all()
    return _domain_refs(roles.domain_subtree(ids))


def _scope_sql(scope_type: str, scope_id: str, open_only: bool, params: dict[str, Any]) -> str:
    parts = []
    if scope_type == "organization":
        parts.append("AND p.owner_org = :scope_org")
        params["scope_org"] = scope_id
    elif scope_type == "domain":
        parts.append("AND p.extras->>'domain' = ANY(:scope_domains)")
        params["scope_domains"] = _domain_refs(roles.domain_subtree([scope_id]))
    if open_only:
        parts.append("AND p.extras->>'access_class' = 'public' AND p.extras->>'workflow_state' = 'published'")
    return " ".join(parts)


def _share(part: int | None, whole: int | None) -> float | None:
    return round(100.0 * (part or 0) / whole, 1) if whole else None


def figures(scope_type: str = "site", scope_id: str = "", open_only: bool = False,
            today: dt.date | None = None) -> dict[str, Any]:
    """All KPI figures of one scope (site, organization id, domain id)."""
    today = today or dt.date.today()
    params: dict[str, Any] = {"stewarded": stewarded_domain_refs(), "today": today.isoformat()}
    base = _BASE.format(scope=_scope_sql(scope_type, scope_id, open_only, params))
    main = model.Session.execute(sa.text(f"""
        WITH ds AS ({base}), q AS ({_LATEST_SCORE}),
        owned AS (
            SELECT DISTINCT r.scope_id AS id FROM datagovernance_role r JOIN "user" u ON u.id = r.user_id
            WHERE r.role = 'owner' AND NOT r.deputy AND u.state = 'active')
        SELECT count(*) AS inventory,
               count(owned.id) AS with_owner,
               count(*) FILTER (WHERE ds.domain = ANY(:stewarded)) AS with_steward,
               count(*) FILTER (WHERE ds.access_class = 'public') AS could_be_open,
               count(*) FILTER (WHERE ds.access_class = 'public' AND ds.workflow_state = 'published')
                   AS published_open,
               count(*) FILTER (WHERE ds.personal_data <> 'none') AS personal,
               count(*) FILTER (WHERE ds.hvd) AS hvd_flagged,
               count(*) FILTER (WHERE ds.hvd AND q.hvd_compliant) AS hvd_compliant,
               count(q.score) AS quality_scored,
               round(avg(q.score)::numeric, 1) AS quality_avg,
               count(*) FILTER (WHERE ds.review_date ~ '^\\d{{4}}-\\d{{2}}-\\d{{2}}'
                                AND left(ds.review_date, 10) < :today
                                AND ds.workflow_state <> 'archived') AS overdue_reviews
        FROM ds LEFT JOIN owned ON owned.id = ds.id LEFT JOIN q ON q.package_id = ds.id
    """), params).mappings().one()
    out: dict[str, Any] = {k: (float(v) if k == "quality_avg" and v is not None else v) for k, v in main.items()}
    inv = out["inventory"]
    out["orphaned"] = inv - out["with_owner"]
    out["share_owner"] = _share(out["with_owner"], inv)
    out["share_steward"] = _share(out["with_steward"], inv)
    out["share_published_open"] = _share(out["published_open"], out["could_be_open"])
    out["share_personal"] = _share(out["personal"], inv)
    out["share_hvd_compliant"] = _share(out["hvd_compliant"], out["hvd_flagged"])

    grouped = model.Session.execute(sa.text(f"""
        WITH ds AS ({base}), q AS ({_LATEST_SCORE})
        SELECT 'access_class' AS k, ds.access_class AS v, count(*) AS n FROM ds GROUP BY ds.access_class
        UNION ALL SELECT 'personal_data', ds.personal_data, count(*) FROM ds GROUP BY ds.personal_data
        UNION ALL SELECT 'workflow_state', ds.workflow_state, count(*) FROM ds GROUP BY ds.workflow_state
        UNION ALL SELECT 'quality_band', q.band, count(*) FROM ds JOIN q ON q.package_id = ds.id GROUP BY q.band
    """), params).all()
    for key, values in (("access_class", ACCESS_CLASSES), ("personal_data", PERSONAL_DATA),
                        ("workflow_state", STATES), ("quality_band", BANDS)):
        counts = {v: 0 for v in values}
        for k, v, n in grouped:
            if k == key and v is not None:
                counts[v] = counts.get(v, 0) + n
        out[f"by_{key}"] = counts

    lead = model.Session.execute(sa.text(f"""
        WITH ds AS ({base}),
        pub AS (SELECT package_id, min(created) AS at FROM datagovernance_workflow_event
                WHERE to_state = 'published' GROUP BY package_id)
        SELECT percentile_cont(0.5) WITHIN GROUP (
                   ORDER BY extract(epoch FROM (pub.at AT TIME ZONE 'UTC') - ds.metadata_created) / 86400.0),
               count(*)
        FROM ds JOIN pub ON pub.package_id = ds.id
    """), params).one()
    out["lead_time_median_days"] = round(float(lead[0]), 1) if lead[0] is not None else None
    out["lead_time_count"] = lead[1]
    out.update(_feedback_figures(base, scope_type, params))
    out["harvest_errors"] = _harvest_errors(today) if scope_type == "site" and not open_only else None
    return out


def _feedback_figures(base: str, scope_type: str, params: dict[str, Any]) -> dict[str, Any]:
    """Open feedback items and mean hours to the first answer: of the scope's
    datasets, and for the whole catalog also the data requests without one."""
    from ..feedback import policy as feedback_policy

    row = model.Session.execute(sa.text(f"""
        WITH ds AS ({base})
        SELECT count(*) FILTER (WHERE f.status = ANY(:open_statuses)),
               avg(extract(epoch FROM f.first_response - f.created) / 3600.0)
        FROM datagovernance_feedback f
        WHERE f.package_id IN (SELECT id FROM ds) OR (:whole AND f.package_id IS NULL)
    """), dict(params, open_statuses=list(feedback_policy.OPEN_STATUSES), whole=scope_type == "site")).one()
    return {"feedback_open": int(row[0] or 0),
            "feedback_hours_to_first_answer": round(float(row[1]), 1) if row[1] is not None else None}


def _harvest_errors(today: dt.date) -> int | None:
    """Gather and import errors of the last seven days (None without ckanext-harvest)."""
    if not model.Session.execute(sa.text("SELECT to_regclass('harvest_object_error')")).scalar():
        return None
    since = today - dt.timedelta(days=7)
    return int(model.Session.execute(sa.text("""
        SELECT (SELECT count(*) FROM harvest_object_error e JOIN harvest_object o ON o.id = e.harvest_object_id
                 WHERE o.gathered >= :since)
             + (SELECT count(*) FROM harvest_gather_error g WHERE g.created >= :since)
    """), {"since": since}).scalar() or 0)


def organizations(open_only: bool = False) -> list[dict[str, Any]]:
    """Inventory and key shares per organisation (one grouped query)."""
    params: dict[str, Any] = {}
    base = _BASE.format(scope=_scope_sql("site", "", open_only, params))
    rows = model.Session.execute(sa.text(f"""
        WITH ds AS ({base}), q AS ({_LATEST_SCORE}),
        owned AS (
            SELECT DISTINCT r.scope_id AS id FROM datagovernance_role r JOIN "user" u ON u.id = r.user_id
            WHERE r.role = 'owner' AND NOT r.deputy AND u.state = 'active')
        SELECT g.id, g.name, g.title, count(ds.id) AS inventory, count(owned.id) AS with_owner,
               count(*) FILTER (WHERE ds.access_class = 'public') AS could_be_open,
               count(*) FILTER (WHERE ds.access_class = 'public' AND ds.workflow_state = 'published')
                   AS published_open,
               round(avg(q.score)::numeric, 1) AS quality_avg
        FROM ds JOIN "group" g ON g.id = ds.owner_org
        LEFT JOIN owned ON owned.id = ds.id LEFT JOIN q ON q.package_id = ds.id
        GROUP BY g.id, g.name, g.title ORDER BY g.title
    """), params).mappings().all()
    return [dict(r, quality_avg=float(r["quality_avg"]) if r["quality_avg"] is not None else None,
                 share_owner=_share(r["with_owner"], r["inventory"]),
                 share_published_open=_share(r["published_open"], r["could_be_open"])) for r in rows]


def snapshot_values(fig: dict[str, Any]) -> dict[str, Any]:
    """What a snapshot keeps: the numeric KPIs and the class counts."""
    keep = {k: fig.get(k) for k in NUMERIC}
    for key in ("by_access_class", "by_personal_data", "by_workflow_state", "by_quality_band"):
        keep[key] = fig.get(key)
    return keep

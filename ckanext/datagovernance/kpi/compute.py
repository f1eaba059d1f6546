"""The KPI figures, from the rollup that triggers keep exact on every write
(migration ``007_f_kpi_rollup``): counts per combination of the classes
(``datagovernance_kpi_cell``, a few hundred rows) and, for the date-dependent
figures, the narrow per-dataset table ``datagovernance_kpi_fact`` through
partial indexes. No pass over ``package`` and no ``package_show`` per dataset.
What each dataset contributes is defined once, in the SQL function
``datagovernance_kpi_fact_source`` (the migration).

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
from decimal import ROUND_HALF_UP, Decimal
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

# the rollup's combination columns (migration 007_f_kpi_rollup)
CELL_KEYS = ("owner_org", "domain", "access_class", "personal_data", "workflow_state", "hvd",
             "hvd_compliant", "has_owner", "band")
_CELLS = f"""
    SELECT {", ".join(CELL_KEYS)}, overdue, sum(n) AS n, sum(score_sum) AS score_sum, sum(score_n) AS score_n
    FROM datagovernance_kpi_cell GROUP BY {", ".join(CELL_KEYS)}, overdue HAVING sum(n) <> 0
"""
_OPEN = ("public", "published")  # the open-data part: access class public, published


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


def _share(part: int | None, whole: int | None) -> float | None:
    return round(100.0 * (part or 0) / whole, 1) if whole else None


def _mean(total: int, n: int) -> float | None:
    """One decimal, rounded like PostgreSQL's round(avg(x)::numeric, 1)."""
    if not n:
        return None
    return float((Decimal(total) / Decimal(n)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


class Rollup:
    """The rollup read once (a few hundred rows), then summed per scope: the
    dashboard, its organisation table, the OKR key results and the daily
    snapshot of every scope all come from one read."""

    def __init__(self, today: dt.date | None = None) -> None:
        self.today = today or dt.date.today()
        self.cells = [dict(r) for r in model.Session.execute(sa.text(_CELLS)).mappings()]
        # the day the cells' "overdue" was counted against (the last compaction)
        self.ref_day = model.Session.execute(sa.text("SELECT ref_day FROM datagovernance_kpi_state")).scalar() or ""
        self.stewarded = frozenset(stewarded_domain_refs())
        self._domains: dict[str, frozenset[str]] = {}

    def _domain_set(self, domain_id: str) -> frozenset[str]:
        if domain_id not in self._domains:
            self._domains[domain_id] = frozenset(_domain_refs(roles.domain_subtree([domain_id])))
        return self._domains[domain_id]

    def _match(self, scope_type: str, scope_id: str, open_only: bool):  # noqa: ANN202
        domains = self._domain_set(scope_id) if scope_type == "domain" else frozenset()

        def match(row: Any) -> bool:
            if open_only and (row["access_class"], row["workflow_state"]) != _OPEN:
                return False
            if scope_type == "organization":
                return row["owner_org"] == scope_id
            if scope_type == "domain":
                return row["domain"] in domains
            return True

        return match

    def _scope_sql(self, scope_type: str, scope_id: str, open_only: bool, params: dict[str, Any]) -> str:
        parts = []
        if scope_type == "organization":
            parts.append("AND d.owner_org = :scope_org")
            params["scope_org"] = scope_id
        elif scope_type == "domain":
            parts.append("AND d.domain = ANY(:scope_domains)")
            params["scope_domains"] = sorted(self._domain_set(scope_id))
        if open_only:
            parts.append("AND d.access_class = 'public' AND d.workflow_state = 'published'")
        return " ".join(parts)

    def figures(self, scope_type: str = "site", scope_id: str = "", open_only: bool = False) -> dict[str, Any]:
        """All KPI figures of one scope (site, organization id, domain id)."""
        match = self._match(scope_type, scope_id, open_only)
        out: dict[str, Any] = dict.fromkeys(
            ("inventory", "with_owner", "with_steward", "could_be_open", "published_open", "personal",
             "hvd_flagged", "hvd_compliant", "hvd_unchecked", "quality_scored", "overdue_reviews"), 0)
        by = {key: {v: 0 for v in values} for key, values in (
            ("access_class", ACCESS_CLASSES), ("personal_data", PERSONAL_DATA),
            ("workflow_state", STATES), ("quality_band", BANDS))}
        score_sum = 0
        for row in self.cells:
            if not match(row):
                continue
            n = row["n"]
            out["inventory"] += n
            out["with_owner"] += n if row["has_owner"] else 0
            out["with_steward"] += n if row["domain"] in self.stewarded else 0
            if row["access_class"] == "public":
                out["could_be_open"] += n
                out["published_open"] += n if row["workflow_state"] == "published" else 0
            out["personal"] += n if row["personal_data"] != "none" else 0
            if row["hvd"]:
                out["hvd_flagged"] += n
                out["hvd_compliant"] += n if row["hvd_compliant"] else 0
                # not scored yet: counted as not compliant, and said so
                out["hvd_unchecked"] += n if row["hvd_compliant"] is None else 0
            out["overdue_reviews"] += n if row["overdue"] else 0
            out["quality_scored"] += row["score_n"]
            score_sum += row["score_sum"]
            for key, column in (("access_class", "access_class"), ("personal_data", "personal_data"),
                                ("workflow_state", "workflow_state"), ("quality_band", "band")):
                if row[column] is not None:
                    by[key][row[column]] = by[key].get(row[column], 0) + n
        inv = out["inventory"]
        out["quality_avg"] = _mean(score_sum, out["quality_scored"])
        out["orphaned"] = inv - out["with_owner"]
        out["share_owner"] = _share(out["with_owner"], inv)
        out["share_steward"] = _share(out["with_steward"], inv)
        out["share_published_open"] = _share(out["published_open"], out["could_be_open"])
        out["share_personal"] = _share(out["personal"], inv)
        out["share_hvd_compliant"] = _share(out["hvd_compliant"], out["hvd_flagged"])
        for key, counts in by.items():
            out[f"by_{key}"] = counts

        params: dict[str, Any] = {"today": self.today.isoformat()}
        scope = self._scope_sql(scope_type, scope_id, open_only, params)
        if self.ref_day != params["today"]:
            # reviews that fell due between the cells' day and today (or, for
            # a day before it, those counted too early): an index range
            low, high = sorted((self.ref_day, params["today"]))
            moved = model.Session.execute(sa.text(f"""
                SELECT count(*) FROM datagovernance_kpi_fact d
                WHERE d.review_date IS NOT NULL AND d.workflow_state <> 'archived'
                  AND d.review_date >= :low AND d.review_date < :high {scope}
            """), dict(params, low=low, high=high)).scalar()
            out["overdue_reviews"] += moved if params["today"] > self.ref_day else -moved
        lead = model.Session.execute(sa.text(f"""
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d.lead_days), count(*)
            FROM datagovernance_kpi_fact d WHERE d.lead_days IS NOT NULL {scope}
        """), params).one()
        out["lead_time_median_days"] = round(float(lead[0]), 1) if lead[0] is not None else None
        out["lead_time_count"] = lead[1]
        out.update(_feedback_figures(scope, scope_type, params))
        out["harvest_errors"] = _harvest_errors(self.today) if scope_type == "site" and not open_only else None
        return out

    def organizations(self, open_only: bool = False) -> list[dict[str, Any]]:
        """Inventory and key shares per organisation."""
        match = self._match("site", "", open_only)
        per: dict[str, dict[str, Any]] = {}
        for row in self.cells:
            if row["owner_org"] is None or not match(row):
                continue
            o = per.setdefault(row["owner_org"], {"inventory": 0, "with_owner": 0, "could_be_open": 0,
                                                  "published_open": 0, "score_sum": 0, "score_n": 0})
            n = row["n"]
            o["inventory"] += n
            o["with_owner"] += n if row["has_owner"] else 0
            if row["access_class"] == "public":
                o["could_be_open"] += n
                o["published_open"] += n if row["workflow_state"] == "published" else 0
            o["score_sum"] += row["score_sum"]
            o["score_n"] += row["score_n"]
        if not per:
            return []
        groups = model.Session.execute(sa.text(
            'SELECT id, name, title FROM "group" WHERE id = ANY(:ids) ORDER BY title'), {"ids": list(per)}).all()
        out = []
        for gid, name, title in groups:
            o = per[gid]
            avg = _mean(o["score_sum"], o["score_n"])
            out.append({"id": gid, "name": name, "title": title, "inventory": o["inventory"],
                        "with_owner": o["with_owner"], "could_be_open": o["could_be_open"],
                        "published_open": o["published_open"], "quality_avg": avg,
                        "share_owner": _share(o["with_owner"], o["inventory"]),
                        "share_published_open": _share(o["published_open"], o["could_be_open"])})
        return out


def figures(scope_type: str = "site", scope_id: str = "", open_only: bool = False,
            today: dt.date | None = None) -> dict[str, Any]:
    """All KPI figures of one scope (site, organization id, domain id)."""
    return Rollup(today).figures(scope_type, scope_id, open_only)


def organizations(open_only: bool = False) -> list[dict[str, Any]]:
    """Inventory and key shares per organisation."""
    return Rollup().organizations(open_only)


def _feedback_figures(scope: str, scope_type: str, params: dict[str, Any]) -> dict[str, Any]:
    """Open feedback items and mean hours to the first answer: of the scope's
    datasets, and for the whole catalog also the data requests without one."""
    from ..feedback import policy as feedback_policy

    row = model.Session.execute(sa.text(f"""
        SELECT count(*) FILTER (WHERE f.status = ANY(:open_statuses)),
               avg(extract(epoch FROM f.first_response - f.created) / 3600.0)
        FROM datagovernance_feedback f LEFT JOIN datagovernance_kpi_fact d ON d.package_id = f.package_id
        WHERE (d.package_id IS NOT NULL {scope}) OR (:whole AND f.package_id IS NULL)
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


def compact(today: dt.date | None = None) -> int:
    """Recount the rollup's cells from the fact table, "overdue" as of
    `today` (the daily snapshot job); returns the number of cells."""
    day = (today or dt.date.today()).isoformat()
    return int(model.Session.execute(sa.text("SELECT datagovernance_kpi_compact(:day)"), {"day": day}).scalar() or 0)


def rebuild(today: dt.date | None = None) -> int:
    """Recompute the rollup from the source tables (after a bulk load with
    the triggers off; the migration does it once)."""
    day = (today or dt.date.today()).isoformat()
    return int(model.Session.execute(sa.text("SELECT datagovernance_kpi_rebuild(:day)"), {"day": day}).scalar() or 0)


def snapshot_values(fig: dict[str, Any]) -> dict[str, Any]:
    """What a snapshot keeps: the numeric KPIs and the class counts."""
    keep = {k: fig.get(k) for k in NUMERIC}
    for key in ("by_access_class", "by_personal_data", "by_workflow_state", "by_quality_band"):
        keep[key] = fig.get(key)
    return keep

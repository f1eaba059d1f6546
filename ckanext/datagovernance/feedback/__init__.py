"""Data users' voice (R9): error reports, wishes and questions, access
requests and data requests, tracked as items with a status; access grants
for a period, enforced through the permission labels."""


def kpis() -> dict[str, object]:
    """Open items and mean hours to the first answer (for the KPI dashboard)."""
    from .service import kpis as _kpis

    return _kpis()

"""KPI dashboard ("Steuerung"), daily snapshots and OKR targets (issue 13)."""

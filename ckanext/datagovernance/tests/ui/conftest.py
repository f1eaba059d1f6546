"""The roles test city (every role, one dataset per access class) serves the
page tests of the public face as well."""
from __future__ import annotations

from ..roles.conftest import city  # noqa: F401  (module-scoped, read-only)

"""Do the access and download URLs answer? HTTP checks with a timeout,
limited concurrency and an allow-list of hosts (no requests into the city's
internal network unless an operator lists the host).

Policy (docs/quality.md): a URL is reachable when a GET, following at most
five redirects, ends in a status 200-399 within the timeout. 4xx/5xx,
timeouts, refused connections and unknown hosts are unreachable. A URL whose
host is not allowed is not requested: its result is "unknown" (``ok`` None),
which earns no points.
"""
from __future__ import annotations

import fnmatch
import ipaddress
import socket
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import ckan.plugins.toolkit as tk
import requests

MAX_REDIRECTS = 5
USER_AGENT = "ckanext-datagovernance link check"


@dataclass
class Result:
    url: str
    ok: bool | None
    status_code: int | None = None
    error: str | None = None
    elapsed_ms: int | None = None


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):  # set at runtime without the declaration's parsing
        value = value.split()
    return [str(v) for v in value or []] or ["*"]


def settings() -> dict[str, Any]:
    return {
        "timeout": float(tk.config.get("ckanext.datagovernance.quality.link_check.timeout") or 10),
        "concurrency": int(tk.config.get("ckanext.datagovernance.quality.link_check.concurrency") or 4),
        "allowed_hosts": _as_list(tk.config.get("ckanext.datagovernance.quality.link_check.allowed_hosts")),
    }


def _private(host: str) -> bool:
    """Does `host` resolve to a loopback, private or link-local address?"""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False  # unknown host: the request itself fails and says so
    for info in infos:
        addr = ipaddress.ip_address(info[4][0].split("%")[0])
        if addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_reserved:
            return True
    return False


def host_allowed(url: str, allowed: Iterable[str]) -> bool:
    """Listed hosts (patterns like ``*.offenbach.de``) are allowed; the
    wildcard ``*`` allows every host on the public internet only."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return False
    patterns = [p.strip().lower() for p in allowed if p and p.strip()]
    if any(p != "*" and fnmatch.fnmatchcase(host, p) for p in patterns):
        return True
    return "*" in patterns and not _private(host)


def check_url(url: str, timeout: float, allowed: Iterable[str]) -> Result:
    if not host_allowed(url, allowed):
        return Result(url, None, error="host not allowed")
    start = time.monotonic()
    session = requests.Session()
    session.max_redirects = MAX_REDIRECTS
    try:
        # GET, not HEAD: many servers refuse HEAD; stream so no body is read
        with session.get(url, timeout=timeout, stream=True, allow_redirects=True,
                         headers={"User-Agent": USER_AGENT}) as resp:
            code = resp.status_code
        return Result(url, 200 <= code < 400, code, None if code < 400 else f"HTTP {code}",
                      int((time.monotonic() - start) * 1000))
    except requests.Timeout:
        error = "timeout"
    except requests.TooManyRedirects:
        error = "too many redirects"
    except requests.RequestException as e:
        error = type(e).__name__
    finally:
        session.close()
    return Result(url, False, None, error, int((time.monotonic() - start) * 1000))


def check_urls(urls: Iterable[str]) -> list[Result]:
    """Check each distinct URL once, at most `concurrency` at a time."""
    conf = settings()
    distinct = list(dict.fromkeys(urls))
    if not distinct:
        return []
    with ThreadPoolExecutor(max_workers=max(1, conf["concurrency"])) as pool:
        return list(pool.map(lambda u: check_url(u, conf["timeout"], conf["allowed_hosts"]), distinct))

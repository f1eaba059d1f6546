"""Real CKAN servers for the browser and two-site tests: ``ckan run`` on
127.0.0.1 with a free port, on the test database (or on another site's ini),
stopped when the test is done."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from ckan.common import config

ROOT = Path(__file__).resolve().parents[3]
CKAN = str(Path(sys.executable).parent / "ckan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path | None, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path else ""
    except OSError:
        return ""


@contextlib.contextmanager
def ckan_run(ini: Path, port: int, env: dict[str, str], log: Path | None = None,
             args: Sequence[str] = ()) -> Iterator[str]:
    """``ckan -c INI run`` on 127.0.0.1:`port` (not waited for: see
    ``wait_ready``); yields its URL, terminates it on exit."""
    url = f"http://127.0.0.1:{port}"
    with open(log or os.devnull, "wb") as out:
        proc = subprocess.Popen([CKAN, "-c", str(ini), "run", "-H", "127.0.0.1", "-p", str(port), *args],
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def wait_ready(url: str, log: Path | None = None, seconds: float = 240) -> None:
    """Until ``status_show`` answers (start-up takes a minute on a busy machine)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url + "/api/3/action/status_show", timeout=2)
            return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"CKAN server {url} did not start:\n{_tail(log)}")
            time.sleep(0.25)


def suite_env() -> dict[str, str]:
    """The environment that points a server at the test database and Redis."""
    env = dict(os.environ, CKAN_SQLALCHEMY_URL=config["sqlalchemy.url"])
    if config.get("ckan.redis.url"):
        env["CKAN_REDIS_URL"] = config["ckan.redis.url"]
    return env


@contextlib.contextmanager
def suite_server(settings: dict[str, Any] | None = None, *, port: int | None = None, log: Path | None = None,
              args: Sequence[str] = (), wait: bool = True) -> Iterator[str]:
    """This suite's test database served by ``ckan run``: test.ini plus
    `settings` (further ini lines, dotted names). Yields its URL, once it
    answers unless `wait` is false (then ``wait_ready`` before the first
    request)."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    lines = {"use": f"config:{ROOT / 'test.ini'}", "ckan.site_url": url, **(settings or {})}
    with tempfile.TemporaryDirectory(prefix="dg-site-") as tmp:
        ini = Path(tmp) / "site.ini"
        ini.write_text("[app:main]\n" + "".join(f"{k} = {v}\n" for k, v in lines.items()), encoding="utf-8")
        with ckan_run(ini, port, suite_env(), log, args):
            if wait:
                wait_ready(url, log)
            yield url

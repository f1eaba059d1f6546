"""The asset bundles built when the app starts (ui/assets.py): the app's
processes start together and build into one directory, so they build one
after the other; and a build that fails leaves the app starting anyway, with
CKAN's check per page. Real processes loading the real app on test.ini."""
from __future__ import annotations

import fcntl
import subprocess
import sys
import time
from pathlib import Path

from ckanext.datagovernance.ui import assets

from ..servers import ROOT, suite_env

LOAD_APP = """
import sys
from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app
from ckan.lib import webassets_tools
make_app(CKANConfigLoader(sys.argv[1]).get_config())
print("auto_build", webassets_tools.env.auto_build)
"""


def _ini(tmp_path: Path) -> Path:
    ini = tmp_path / "site.ini"
    ini.write_text(f"[DEFAULT]\ndebug = false\n\n[app:main]\nuse = config:{ROOT / 'test.ini'}\n"
                   f"ckan.storage_path = {tmp_path / 'storage'}\n", encoding="utf-8")
    return ini


def _start(ini: Path) -> subprocess.Popen[str]:
    env = suite_env()
    env.pop("CKAN_STORAGE_PATH", None)  # an xdist worker's own storage: the ini's here
    return subprocess.Popen([sys.executable, "-c", LOAD_APP, str(ini)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _waiting_on(lock: Path) -> bool:
    """Whether a process waits for the lock file's lock (/proc/locks lists
    waiters with "->" and the file's device:inode)."""
    inode = f":{lock.stat().st_ino} "
    return any("->" in line and inode in line for line in Path("/proc/locks").read_text().splitlines())


def test_processes_starting_together_build_in_turn(tmp_path):
    ini = _ini(tmp_path)
    directory = tmp_path / "storage" / "webassets"
    directory.mkdir(parents=True)
    lock = directory / assets._LOCK
    with open(lock, "a") as held:  # another process is building
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = _start(ini)
        deadline = time.monotonic() + 120
        while not _waiting_on(lock):
            assert proc.poll() is None, proc.communicate()[0][-3000:]  # it must wait, not build beside us
            assert time.monotonic() < deadline, "the starting app never asked for the build lock"
            time.sleep(0.2)
        assert not list(directory.glob("ckanext-datagovernance/*.css"))  # nothing built while we hold it
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out[-3000:]
    assert "auto_build False" in out  # built at start: pages do not check the sources again
    assert list(directory.glob("ckanext-datagovernance/*.css"))


def test_a_failed_build_leaves_the_pages_to_build(tmp_path):
    ini = _ini(tmp_path)
    (tmp_path / "storage").mkdir()
    (tmp_path / "storage" / "webassets").write_text("not a directory")  # nothing can be built there
    proc = _start(ini)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out[-3000:]  # the app starts all the same
    assert "auto_build True" in out  # and each page checks its bundles, as CKAN does

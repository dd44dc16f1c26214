"""scripts/setup.sh --dev and Chromium: as root, a failed install fails setup (CI must not quietly skip
the browser tests); without root it warns. The script runs for real, in a copy of the repository layout
with stand-ins for pip (.venv/bin/python), apt-get, dpkg and id on a PATH that has no chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _stub(path: Path, body: str) -> None:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


@pytest.fixture
def sandbox(tmp_path: Path):
    """Run setup.sh with: uid, whether apt-get works, whether chromium is already there."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup.sh", tmp_path / "scripts" / "setup.sh")
    venv = tmp_path / ".venv" / "bin"
    venv.mkdir(parents=True)
    _stub(venv / "python", f'echo "$*" >> "{tmp_path}/pip.log"')  # pip installs: recorded, not run
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("dirname", "touch", "chmod"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    _stub(bin_dir / "dpkg", "exit 0")  # the other system packages (OCR, manuals) count as installed

    def run(*args: str, uid: int = 0, apt_works: bool = False, chromium: bool = False):
        _stub(bin_dir / "id", f'[ "$1" = "-u" ] && echo {uid}')
        install = f'touch "{bin_dir}/chromium"; chmod +x "{bin_dir}/chromium"' if apt_works else "exit 100"
        _stub(bin_dir / "apt-get", f'echo "$*" >> "{tmp_path}/apt.log"\n[ "$1" = update ] && exit 0\n{install}')
        (bin_dir / "chromium").unlink(missing_ok=True)
        (tmp_path / "apt.log").unlink(missing_ok=True)
        if chromium:
            _stub(bin_dir / "chromium", "exit 0")
        result = subprocess.run(
            ["/bin/bash", str(tmp_path / "scripts" / "setup.sh"), *args],
            env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        apt = (tmp_path / "apt.log").read_text() if (tmp_path / "apt.log").exists() else ""
        return result, apt

    return run


def test_dev_setup_as_root_fails_when_chromium_cannot_be_installed(sandbox):
    result, apt = sandbox("--dev", uid=0, apt_works=False)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "could not install chromium" in result.stderr
    assert "install -y -qq chromium" in apt  # it did try


def test_dev_setup_as_root_installs_chromium(sandbox):
    result, apt = sandbox("--dev", uid=0, apt_works=True)
    assert result.returncode == 0, result.stderr
    assert "install -y -qq chromium" in apt and "installed into .venv" in result.stdout


def test_dev_setup_without_root_warns_and_goes_on(sandbox):
    result, apt = sandbox("--dev", uid=1000)
    assert result.returncode == 0, result.stderr
    assert "chromium is not installed" in result.stderr and apt == ""


@pytest.mark.parametrize("args", [("--dev",), ()])
def test_nothing_is_installed_when_chromium_is_there_or_not_needed(sandbox, args):
    result, apt = sandbox(*args, uid=0, chromium="--dev" in args)
    assert result.returncode == 0, result.stderr
    assert apt == "" and "chromium" not in result.stderr


def test_ci_run_sets_ci_so_missing_chromium_fails_the_browser_tests():
    text = (ROOT / ".ci" / "run").read_text()
    assert "CI=${CI:-true}" in text and "stage chromium" in text
    assert os.access(ROOT / ".ci" / "run", os.X_OK)

"""ruff keeps the code formatted and lint-clean; part of the suite so CI enforces it."""

from __future__ import annotations

import shutil
import subprocess

from conftest import REPO


def _ruff(*args: str) -> subprocess.CompletedProcess:
    ruff = shutil.which("ruff")
    assert ruff, "ruff is not installed: pip install -e '.[test]'"
    return subprocess.run([ruff, *args], cwd=REPO, capture_output=True, text=True, check=False)


def test_ruff_check_is_clean():
    result = _ruff("check", "newsletter", "tests")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = _ruff("format", "--check", "newsletter", "tests")
    assert result.returncode == 0, result.stdout + result.stderr

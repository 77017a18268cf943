"""The import contracts of pyproject.toml hold, and they do catch a campaigns -> assignments import."""

import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("leadcrm", "reporting", "assignments", "campaigns")
LINT_IMPORTS = pathlib.Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(),
                                reason="import-linter is not installed (requirements-dev.txt)")


def lint_imports(cwd: pathlib.Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={"PATH": str(LINT_IMPORTS.parent), "PYTHONPATH": str(cwd)})


def copy_project(to: pathlib.Path) -> None:
    shutil.copy(ROOT / "pyproject.toml", to / "pyproject.toml")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, to / package, ignore=shutil.ignore_patterns("__pycache__", "static"))


def test_the_contracts_hold():
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("module, line", [
    ("campaigns/selectors.py", "from assignments.models import Rep\n"),
    ("campaigns/services/intake.py", "def later():\n    from assignments.services import lead_route\n"),
    ("assignments/routing/engine.py", "from django.db import models\n"),
    ("leadcrm/errors.py", "import campaigns.models\n"),
])
def test_a_forbidden_import_breaks_a_contract(tmp_path, module, line):
    copy_project(tmp_path)
    with open(tmp_path / module, "a") as source:
        source.write("\n\n" + line)
    done = lint_imports(tmp_path)
    assert done.returncode != 0
    assert "BROKEN" in done.stdout and module.removesuffix(".py").replace("/", ".") in done.stdout, done.stdout

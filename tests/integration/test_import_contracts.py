"""The boundaries pyproject's import-linter contracts keep (`make lint` runs them): each
contract holds on the code as it is, and breaks on a copy given the import it forbids."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import REPO

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("components", "local", "handlers")


def lint_imports(directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PYTHONPATH": str(directory), "PATH": "/usr/bin:/bin", "HOME": "/tmp"},
    )


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    """The three packages and pyproject.toml, copied so a test may break them."""
    directory = tmp_path_factory.mktemp("contracts")
    shutil.copy(REPO / "pyproject.toml", directory)
    for package in PACKAGES:
        shutil.copytree(
            REPO / package, directory / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return directory


def test_the_code_keeps_every_contract(copy):
    run = lint_imports(copy)
    assert run.returncode == 0, run.stdout
    assert "Contracts: 4 kept, 0 broken." in run.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("handlers/sweeper.py", "import pulumi", "handlers.sweeper -> pulumi"),
        ("handlers/domain/keys.py", "import local.errors", "handlers.domain.keys -> local.errors"),
        ("components/layout.py", "import domain.keys", "components.layout -> domain"),
        ("local/errors.py", "from domain import keys", "local.errors -> domain"),
        (
            "local/aws/sigv4.py",
            "from local.pulumi import engine",
            "local.aws.sigv4 -> local.pulumi.engine",
        ),
        ("local/aws/pumps.py", "import local.cloud", "local.aws.pumps -> local.cloud"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(copy, module, line, broken):
    path = copy / module
    kept = path.read_text()
    path.write_text(kept + f"\n{line}  # the probe\n")
    try:
        run = lint_imports(copy)
    finally:
        path.write_text(kept)
    assert run.returncode == 1
    assert broken in run.stdout

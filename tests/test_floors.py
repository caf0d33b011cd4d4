"""The floors of the house (shared ARCHITECTURE.md), read from the code's own imports.

Every import counts, function-local ones too: an import hidden in a function still ties the
floors together.
"""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = {"console", "onboarding", "uploads", "connectivity", "helpdesk", "intake", "dashboard"}
PROJECT = APPS | {"coderules", "pmhadmin"}


def _imported(folder: str) -> dict[str, set[str]]:
    """Top-level packages each file of `folder` imports, by file."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize(
    ("folder", "allowed"),
    [
        ("console", {"console", "coderules"}),
        ("onboarding", {"onboarding", "console", "coderules"}),
        ("uploads", {"uploads", "onboarding", "console", "coderules"}),
        ("connectivity", {"connectivity", "onboarding", "console", "coderules"}),
        ("intake", {"intake", "uploads", "onboarding", "console", "coderules"}),
        ("helpdesk", {"helpdesk", "intake", "uploads", "connectivity", "onboarding", "console"}),
    ],
)
def test_a_lower_floor_imports_no_app_above_it(folder, allowed):
    upward = {
        file: sorted(names & (PROJECT - allowed))
        for file, names in _imported(folder).items()
        if names & (PROJECT - allowed)
    }
    assert upward == {}


def test_code_rules_import_the_standard_library_only():
    foreign = {
        file: sorted(names - sys.stdlib_module_names)
        for file, names in _imported("coderules").items()
        if names - sys.stdlib_module_names
    }
    assert foreign == {}


def test_the_audit_record_and_the_middleware_import_each_other_one_way_only():
    imported = _imported("console")
    assert "console" in imported["console/audit.py"]
    middleware = ast.parse((ROOT / "console/middleware.py").read_text(encoding="utf-8"))
    modules = {n.module for n in ast.walk(middleware) if isinstance(n, ast.ImportFrom)}
    assert "console.audit" not in modules

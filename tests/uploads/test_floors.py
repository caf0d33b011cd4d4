"""The floors of ARCHITECTURE.md that this app's lifecycle and the channels rely on, read from
the code's own imports."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(module, at top level) for every import of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.module, id(node) in top))
    return found


def _files(folder: str, *, exclude: tuple[str, ...] = ()) -> list[Path]:
    return [
        p
        for p in (ROOT / folder).rglob("*.py")
        if not any(part in p.relative_to(ROOT).parts for part in exclude)
    ]


def test_uploads_never_imports_the_floors_above_it():
    for path in _files("uploads", exclude=("migrations",)):
        for module, _top in _imports(path):
            assert module.split(".")[0] not in ("helpdesk", "intake", "dashboard"), (
                f"{path.relative_to(ROOT)} imports {module}"
            )


def test_the_lifecycle_and_the_jobs_import_at_top_level_only():
    for name in ("lifecycle.py", "jobs.py", "processing.py", "services.py", "hooks.py"):
        local = [m for m, top in _imports(ROOT / "uploads" / name) if not top]
        assert local == [], f"uploads/{name} imports {local} inside a function"


def test_jobs_import_downward_only():
    modules = {m for m, _top in _imports(ROOT / "uploads" / "jobs.py")}
    assert modules == {"console.schedule", "uploads"}


def test_channel_io_imports_no_django():
    libs = [
        ROOT / "intake" / "folder" / "lib.py",
        *_files("intake/mail/lib"),
        *_files("intake/lib"),
    ]
    for path in libs:
        for module, _top in _imports(path):
            assert module.split(".")[0] not in ("django", "console", "onboarding", "helpdesk"), (
                f"{path.relative_to(ROOT)} imports {module}"
            )

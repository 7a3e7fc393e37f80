"""Every event type written in src/ (a literal such as "order.placed.v1", or an f-string family such as
f"order.{action}.v1") has a schema in integration/event_schemas.py, so /api/v1/events/schema lists it."""

import ast
import re
from pathlib import Path

from stockyard.core.outbox import VERSIONED_TYPE
from stockyard.integration.event_schemas import event_types

SRC = Path(__file__).resolve().parents[2] / "src" / "stockyard"
SCHEMAS = SRC / "integration" / "event_schemas.py"
FAMILY = re.compile(r"^[a-z_{}]+(\.[a-z_{}]+)+\.v[0-9]+$")


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def written_types() -> tuple[dict[str, str], dict[str, str]]:
    """(literal type → file, f-string family as a regex → file) over src/, docstrings left out."""
    literals: dict[str, str] = {}
    families: dict[str, str] = {}
    for path in SRC.rglob("*.py"):
        if path == SCHEMAS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs \
                    and VERSIONED_TYPE.match(node.value):
                literals[node.value] = str(path.relative_to(SRC))
            elif isinstance(node, ast.JoinedStr):
                shape = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
                if FAMILY.match(shape) and "{}" in shape:
                    families[re.escape(shape).replace(r"\{\}", "[a-z_]+")] = str(path.relative_to(SRC))
    return literals, families


def test_every_literal_event_type_has_a_schema() -> None:
    literals, _ = written_types()
    assert len(literals) > 100  # the scan found the code's events
    missing = {t: f for t, f in literals.items() if t not in event_types()}
    assert missing == {}, "add these types to integration/event_schemas.py"


def test_every_event_type_family_has_schemas() -> None:
    _, families = written_types()
    assert len(families) >= 4
    known = list(event_types())
    missing = {pattern: f for pattern, f in families.items() if not any(re.fullmatch(pattern, t) for t in known)}
    assert missing == {}, "list this family's types in integration/event_schemas.py"

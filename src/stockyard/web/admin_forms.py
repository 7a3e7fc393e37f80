"""Describing an admin form's fields in Python, so one template (admin/commerce/form.html) can render many forms."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str = "text"  # text, number, date, select, checkbox, textarea, secret
    required: bool = False
    hint: str = ""
    options: Sequence[tuple[str, str]] = field(default_factory=tuple)  # (value, label) for selects
    placeholder: str = ""


def checked(form: Mapping[str, Any], name: str) -> bool:
    """An HTML checkbox is sent only when ticked."""
    return str(form.get(name, "")).lower() in {"on", "true", "1", "yes"}


def lines(value: str) -> list[str]:
    """A textarea or comma-separated field as a list of its non-empty entries."""
    return [part.strip() for part in value.replace(",", "\n").splitlines() if part.strip()]


def rows(form: Mapping[str, Any], prefix: str, keys: Sequence[str], count: int) -> list[dict[str, str]]:
    """Repeated inputs named `prefix.N.key`; rows left entirely empty are skipped."""
    out = []
    for index in range(count):
        row = {key: str(form.get(f"{prefix}.{index}.{key}", "")).strip() for key in keys}
        if any(row.values()):
            out.append(row)
    return out

"""A reader for the small subset of YAML our deploy files are written in (PyYAML is not a dependency): block
mappings and block sequences by indentation, plain or quoted scalars, `[]`/`{}`, comments. Anything else (anchors,
flow collections, multi-line scalars, tabs) is refused, so a file it reads is plain, unambiguous YAML."""

import json
import re
from typing import Any

_KEY = re.compile(r"^(?P<key>[A-Za-z0-9_.\-/]+|\"[^\"]*\"):(?:\s+(?P<value>.*))?$")


class YamlSubsetError(ValueError):
    pass


def _strip_comment(line: str) -> str:
    quote = None
    for i, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'" and (i == 0 or line[i - 1] in " -:["):
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] == " "):
            return line[:i].rstrip()
    if quote:
        raise YamlSubsetError(f"unclosed quote: {line!r}")
    return line.rstrip()


def scalar(text: str) -> Any:
    if text.startswith('"'):
        if not text.endswith('"') or len(text) < 2:
            raise YamlSubsetError(f"bad quoted scalar {text!r}")
        return json.loads(text)
    if text.startswith("'"):
        if not text.endswith("'") or len(text) < 2:
            raise YamlSubsetError(f"bad quoted scalar {text!r}")
        return text[1:-1].replace("''", "'")
    if text == "[]":
        return []
    if text == "{}":
        return {}
    if text[0] in "&*!|>[{@`%" or text.startswith("<<"):
        raise YamlSubsetError(f"outside the subset: {text!r}")
    if ": " in text or text.endswith(":"):
        raise YamlSubsetError(f"a plain scalar with ': ' (quote it): {text!r}")
    if text in ("true", "false"):
        return text == "true"
    if text in ("null", "~"):
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    return text


def loads(source: str) -> Any:
    lines: list[tuple[int, str]] = []
    for raw in source.splitlines():
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise YamlSubsetError("tab indentation")
        text = _strip_comment(raw)
        if text.strip() and text.strip() != "---":
            lines.append((len(text) - len(text.lstrip()), text.strip()))
    value, end = _block(lines, 0, lines[0][0] if lines else 0)
    if end != len(lines):
        raise YamlSubsetError(f"unexpected indentation at {lines[end][1]!r}")
    return value


def _block(lines: list[tuple[int, str]], i: int, indent: int) -> tuple[Any, int]:
    if i >= len(lines):
        return None, i
    if lines[i][1].startswith("- ") or lines[i][1] == "-":
        return _sequence(lines, i, indent)
    return _mapping(lines, i, indent)


def _value_after(lines: list[tuple[int, str]], i: int, indent: int, inline: str | None) -> tuple[Any, int]:
    if inline:
        return scalar(inline), i + 1
    if i + 1 < len(lines) and (lines[i + 1][0] > indent or
                               (lines[i + 1][0] == indent and lines[i + 1][1].startswith("- "))):
        return _block(lines, i + 1, lines[i + 1][0])
    return None, i + 1


def _mapping(lines: list[tuple[int, str]], i: int, indent: int) -> tuple[dict[str, Any], int]:
    result: dict[str, Any] = {}
    while i < len(lines) and lines[i][0] == indent and not lines[i][1].startswith("- "):
        match = _KEY.match(lines[i][1])
        if not match:
            raise YamlSubsetError(f"expected 'key: value', got {lines[i][1]!r}")
        key = scalar(match["key"]) if match["key"].startswith('"') else match["key"]
        if key in result:
            raise YamlSubsetError(f"duplicate key {key!r}")
        result[key], i = _value_after(lines, i, indent, match["value"])
    if i < len(lines) and lines[i][0] > indent:
        raise YamlSubsetError(f"unexpected indentation at {lines[i][1]!r}")
    return result, i


def _sequence(lines: list[tuple[int, str]], i: int, indent: int) -> tuple[list[Any], int]:
    result: list[Any] = []
    while i < len(lines) and lines[i][0] == indent and (lines[i][1].startswith("- ") or lines[i][1] == "-"):
        item = lines[i][1][2:].strip()
        if _KEY.match(item):  # "- key: value" opens a mapping whose keys sit two columns further in
            nested = [(indent + 2, item)]
            j = i + 1
            while j < len(lines) and lines[j][0] > indent:
                nested.append(lines[j])
                j += 1
            value, end = _mapping(nested, 0, indent + 2)
            if end != len(nested):
                raise YamlSubsetError(f"unexpected indentation at {nested[end][1]!r}")
            result.append(value)
            i = j
        else:
            value, i = _value_after(lines, i, indent, item or None)
            result.append(value)
    return result, i

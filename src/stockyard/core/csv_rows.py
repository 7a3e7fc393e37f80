"""Reading CSV files for all-or-nothing imports: decoding, the header, and every row with its line number.

Problems with the file as a whole (not UTF-8, empty, not CSV, a bad header) raise `RowErrors` at once.
Problems with single rows are collected in `RowProblems`, so that one report lists every bad row, with
the line number a spreadsheet or editor shows (the header is line 1), before anything is written.
"""

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from stockyard.core.errors import RowErrors

MAX_INT = 2_147_483_647  # the largest value of a 32-bit INTEGER column
_WHOLE = re.compile(r"^\+?[0-9]+$")
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class CsvRow:
    line: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass(frozen=True)
class CsvFile:
    columns: list[str]
    rows: list[CsvRow]
    # Data rows in the file (blank lines excluded), including rows that could not be split into columns.
    total: int


class _Reader(Protocol):
    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...


class RowProblems:
    """Collects (line, field, message) for the rows of one file."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, str, str]] = []

    def add(self, line: int, field: str, message: str) -> None:
        self.rows.append((line, field, message))

    def raise_if_any(self, total: int) -> None:
        if not self.rows:
            return
        bad = len({line for line, _, _ in self.rows})
        raise RowErrors(f"{bad} of {total} rows are invalid", field="rows", rows=sorted(self.rows))


def read_csv(data: bytes, required: Sequence[str], optional: Sequence[str], problems: RowProblems) -> CsvFile:
    """Split `data` into rows keyed by the (lower-cased) header. Rows whose number of values does not match
    the header are reported to `problems` and left out of `rows`."""
    expected = ",".join(required)
    text = _decode(data)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise RowErrors("the file is not CSV text", field="file",
                        rows=[(line, "file", "contains binary data (NUL bytes); expected CSV text")])
    if not text.strip():
        raise RowErrors("the file is empty", field="file",
                        rows=[(1, "file", f"is empty; expected a header line such as {expected}")])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records = _records(reader)
    at = next((i for i, (_, cells) in enumerate(records) if any(c.strip() for c in cells)), None)
    if at is None:
        raise RowErrors("the file is empty", field="file",
                        rows=[(1, "file", f"has no values; expected a header line such as {expected}")])
    header_line, header = records[at]
    columns = _check_header(header_line, header, required, optional)
    rows: list[CsvRow] = []
    total = 0
    for line, cells in records[at + 1 :]:
        if not any(c.strip() for c in cells):
            continue
        total += 1
        if len(cells) != len(columns):
            problems.add(line, "row", f"has {len(cells)} values; the header has {len(columns)} columns")
            continue
        values = {column: "" for column in optional}
        values.update({column: cell.strip() for column, cell in zip(columns, cells, strict=True)})
        rows.append(CsvRow(line, values))
    if total == 0:
        raise RowErrors("the file has no rows", field="file",
                        rows=[(header_line, "file", "has a header but no rows to import")])
    return CsvFile(columns, rows, total)


def _decode(data: bytes) -> str:
    if data.startswith(_ZIP_MAGIC):
        raise RowErrors("the file is not CSV text", field="file",
                        rows=[(1, "file", "is a spreadsheet workbook or ZIP archive; save it as 'CSV UTF-8'")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise RowErrors("the file is not UTF-8 text", field="file", rows=[(
            line, "file", f"byte 0x{data[error.start]:02x} is not UTF-8; save the file as 'CSV UTF-8'")]) from None


def _records(reader: _Reader) -> list[tuple[int, list[str]]]:
    """Every record with the line it starts on (a quoted value may span lines)."""
    records = []
    start = 1
    try:
        for cells in reader:
            records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as error:
        raise RowErrors("the file is not valid CSV", field="file",
                        rows=[(reader.line_num, "file", f"cannot be read as CSV: {error}")]) from None
    return records


def _check_header(line: int, header: list[str], required: Sequence[str], optional: Sequence[str]) -> list[str]:
    known = [*required, *optional]
    columns = [cell.strip().lower() for cell in header]
    errors: list[tuple[int, str, str]] = []
    if len(columns) == 1 and any(sep in columns[0] for sep in ";\t|"):
        sep = next(s for s in ";\t|" if s in columns[0])
        errors.append((line, "header", f"columns must be separated by commas, not {sep!r}"))
    else:
        seen: set[str] = set()
        for column in columns:
            if column not in known:
                errors.append((line, column or "(empty)", f"unknown column; the columns are {', '.join(known)}"))
            elif column in seen:
                errors.append((line, column, "appears twice in the header"))
            seen.add(column)
        errors.extend((line, column, "required column is missing") for column in required if column not in seen)
    if errors:
        raise RowErrors("the header is invalid", field="header", rows=errors)
    return columns


def parse_whole(text: str, *, minimum: int, maximum: int = MAX_INT) -> int:
    """A whole number within [minimum, maximum]; raises ValueError with a message for the report."""
    if not _WHOLE.match(text):
        raise ValueError(f"must be a whole number of at least {minimum}, not {text!r}" if text else "is required")
    value = int(text)
    if value < minimum:
        raise ValueError(f"must be at least {minimum}")
    if value > maximum:
        raise ValueError(f"must be at most {maximum}")
    return value

"""Receive stock from a CSV file, all or nothing.

Columns: `sku,location,quantity[,status,unit_cost,lot,note]`. `sku` is a SKU code or a barcode, `location`
a path such as MAIN/A/01/03, `status` defaults to sellable. Every row is checked first, the SKU and the
location through the same resolution the services use; if any row is bad, the report lists every bad row
(line, field, problem) and nothing is written. A valid file is posted in ONE transaction by
`movements.receive_stock_batch`: receipts with document type `csv_import` and, as document id, the start
of the file's SHA-256, so the import can be found in the movement history. A row with a note is posted as
a receipt of its own within that transaction, because a batch posting keeps one note for all its moves.
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, TypeVar

from pydantic import ValidationError
from sqlalchemy import Engine

from stockyard.core.actor import Actor
from stockyard.core.csv_rows import CsvFile, CsvRow, RowProblems, parse_whole, read_csv
from stockyard.core.errors import DomainError, RowErrors
from stockyard.core.progress import Advance, Steps
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.identity.domain import INVENTORY_RECEIVE
from stockyard.inventory.domain import Status
from stockyard.inventory.movements import ReceiveStock, receive_stock_batch
from stockyard.inventory.refs import LocationRef, SkuRef, resolve_location, resolve_sku

if TYPE_CHECKING:
    from rich.progress import Progress

REQUIRED = ("sku", "location", "quantity")
OPTIONAL = ("status", "unit_cost", "lot", "note")
DOCUMENT_TYPE = "csv_import"
CHUNK = 500
STATUSES = [s.value for s in Status if s != Status.IN_TRANSIT]
_BATCH_FIELD = re.compile(r"^receipts\[(\d+)\]\.(.+)$")
T = TypeVar("T")


@dataclass(frozen=True)
class _Line:
    line: int
    cmd: ReceiveStock


def import_stock(engine: Engine, actor: Actor, data: bytes, progress: "Progress | None" = None) -> int:
    """Receive every row of the file, or raise RowErrors and receive nothing. Returns the number of rows."""
    actor.require(INVENTORY_RECEIVE)
    steps = Steps(progress)
    problems = RowProblems()
    table = read_csv(data, REQUIRED, OPTIONAL, problems)
    document_id = hashlib.sha256(data).hexdigest()[:12]
    lines = read(engine, actor, _check_rows, table, document_id, problems, steps.task("Checking rows", table.total))
    problems.raise_if_any(table.total)
    batches = _batches(lines)
    perform(engine, actor, _receive_all, batches, table.total, steps.task("Receiving stock", len(batches)))
    return len(lines)


def _check_rows(uow: UnitOfWork, table: CsvFile, document_id: str, problems: RowProblems,
                advance: Advance) -> list[_Line]:
    skus: dict[str, SkuRef | str] = {}
    locations: dict[str, LocationRef | str] = {}
    serials: dict[tuple[int, str], int] = {}  # (SKU id, serial number) → first line
    lines = []
    for row in table.rows:
        cmd = _check_row(uow, row, document_id, problems, skus, locations)
        if cmd is not None and _serial_is_new(skus[row.get("sku")], cmd, row.line, serials, problems):
            lines.append(_Line(row.line, cmd))
        advance(1)
    advance(table.total - len(table.rows))  # rows already reported as unreadable
    return lines


def _check_row(uow: UnitOfWork, row: CsvRow, document_id: str, problems: RowProblems,
               skus: dict[str, SkuRef | str], locations: dict[str, LocationRef | str]) -> ReceiveStock | None:
    before = len(problems.rows)
    line = row.line

    def fail(field: str, message: str) -> None:
        problems.add(line, field, message)

    sku = _lookup(skus, row.get("sku"), lambda text: resolve_sku(uow, text))
    if isinstance(sku, str):
        fail("sku", sku)
    location = _lookup(locations, row.get("location"), lambda text: resolve_location(uow, text))
    if isinstance(location, str):
        fail("location", location)
    quantity = 0
    try:
        quantity = parse_whole(row.get("quantity"), minimum=1)
    except ValueError as error:
        fail("quantity", str(error))
    status = (row.get("status") or Status.SELLABLE.value).lower()
    if status not in STATUSES:
        fail("status", f"must be one of {', '.join(STATUSES)}, not {row.get('status')!r}")
    unit_cost = None
    try:
        unit_cost = _unit_cost(row.get("unit_cost"))
    except ValueError as error:
        fail("unit_cost", str(error))
    lot = row.get("lot")
    if len(lot) > 64:
        fail("lot", "is longer than 64 characters")
    if isinstance(sku, SkuRef) and sku.tracking != "none" and not lot:
        fail("lot", f"SKU {sku.code} is tracked by {sku.tracking}; a lot is required")
    if isinstance(sku, SkuRef) and sku.tracking == "serial" and quantity > 1:
        fail("quantity", f"SKU {sku.code} is tracked by serial number: one row per unit, with quantity 1")
    if len(problems.rows) > before or isinstance(sku, str) or isinstance(location, str):
        return None
    try:
        return ReceiveStock(sku=sku.id, location=location.id, quantity=quantity, status=Status(status),
                            unit_cost=unit_cost, lot=lot, note=row.get("note"), document_type=DOCUMENT_TYPE,
                            document_id=document_id)
    except ValidationError as error:
        for detail in error.errors():
            fail(str(detail["loc"][0]) if detail["loc"] else "row", detail["msg"])
        return None


def _serial_is_new(sku: SkuRef | str, cmd: ReceiveStock, line: int, serials: dict[tuple[int, str], int],
                   problems: RowProblems) -> bool:
    """A serial number names one unit, so it may be received once per file."""
    if not isinstance(sku, SkuRef) or sku.tracking != "serial":
        return True
    first = serials.setdefault((sku.id, cmd.lot), line)
    if first != line:
        problems.add(line, "lot", f"serial number {cmd.lot} of SKU {sku.code} is also on line {first}")
        return False
    return True


def _lookup(cache: dict[str, T | str], text: str, resolve: Callable[[str], T]) -> T | str:
    """A resolved reference, or the message explaining why it does not resolve (cached per distinct text)."""
    if not text:
        return "is required"
    if text not in cache:
        try:
            cache[text] = resolve(text)
        except DomainError as error:
            cache[text] = error.message
    return cache[text]


def _unit_cost(text: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"must be a number such as 12.50 (a dot before the decimals), not {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"must be a number such as 12.50, not {text!r}")
    if value < 0:
        raise ValueError("must be zero or more")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -4:
        raise ValueError("has more than 4 decimal places")
    if value >= Decimal("1e10"):
        raise ValueError("is too large")
    return value


def _batches(lines: list[_Line]) -> list[list[_Line]]:
    """Rows without a note in chunks of CHUNK; a row with a note on its own (see the module docstring)."""
    batches: list[list[_Line]] = []
    current: list[_Line] = []
    for item in lines:
        if item.cmd.note:
            batches.append([item])
            continue
        current.append(item)
        if len(current) == CHUNK:
            batches.append(current)
            current = []
    if current:
        batches.append(current)
    return batches


def _receive_all(uow: UnitOfWork, batches: list[list[_Line]], total: int, advance: Advance) -> None:
    for batch in batches:
        try:
            receive_stock_batch(uow, [item.cmd for item in batch])
        except DomainError as error:
            raise _as_row_error(error, batch, total) from error
        advance(1)


def _as_row_error(error: DomainError, batch: list[_Line], total: int) -> DomainError:
    """Something changed between checking and writing (a bin removed, say): report it against its row."""
    field = error.field or ""
    match = _BATCH_FIELD.match(field)
    if match:
        item, field = batch[int(match.group(1))], match.group(2)
    elif len(batch) == 1 and field in (*REQUIRED, *OPTIONAL):
        item = batch[0]
    else:
        return error
    return RowErrors(f"1 of {total} rows could not be imported", field="rows", rows=[(item.line, field,
                                                                                        error.message)])


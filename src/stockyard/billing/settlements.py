"""Importing a gateway's settlement report (CSV): all or nothing per file. Each new settlement is stored with its
lines, announced as `settlement.imported.v1`, and posts its journal entry (payout and fees against the clearing
account) in the same transaction. A settlement already imported with the same lines is recognised and skipped; one
whose lines changed since is refused with the file."""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import select

from stockyard.billing import journal
from stockyard.billing.settlements_domain import ParsedSettlement, parse_settlements, settlement_entry
from stockyard.billing.settlements_models import Settlement, SettlementLine
from stockyard.core.errors import RowErrors
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import ACCOUNTING_MANAGE, ACCOUNTING_VIEW
from stockyard.integration.consumers import Event

_SETTLEMENTS = Settlement.__table__
_LINES = SettlementLine.__table__
IMPORTED = "settlement.imported.v1"


@dataclass(frozen=True)
class SettlementSummary:
    id: int
    settlement_ref: str
    settled_on: date
    currency: str
    gross: Decimal
    fees: Decimal
    payout: Decimal
    line_count: int
    journal_entry_id: int | None = None
    file_name: str = ""
    imported_by: str = ""
    imported_at: datetime | None = None


@dataclass(frozen=True)
class ImportReport:
    imported: list[SettlementSummary]
    already_imported: list[str]  # settlement ids found with the very same lines: nothing booked again


def import_settlements(uow: UnitOfWork, data: bytes, file_name: str = "") -> ImportReport:
    actor = uow.require(ACCOUNTING_MANAGE)
    settlements = parse_settlements(data)
    known = {r.settlement_ref: r for r in uow.conn.execute(
        select(_SETTLEMENTS.c.settlement_ref, _SETTLEMENTS.c.digest, _SETTLEMENTS.c.created_at).where(
            _SETTLEMENTS.c.tenant_id == uow.tenant_id,
            _SETTLEMENTS.c.settlement_ref.in_([s.settlement_ref for s in settlements])))}
    changed = [(s.first_line, "settlement_id",
                f"settlement {s.settlement_ref} was imported on {known[s.settlement_ref].created_at:%Y-%m-%d} with "
                "other lines; a settlement cannot be changed once imported")
               for s in settlements if s.settlement_ref in known and known[s.settlement_ref].digest != s.digest]
    if changed:
        raise RowErrors("the file changes settlements imported before", field="rows", rows=changed)
    imported = [_store(uow, s, file_name[:200], actor.name[:200]) for s in settlements
                if s.settlement_ref not in known]
    return ImportReport(imported, [s.settlement_ref for s in settlements if s.settlement_ref in known])


def _store(uow: UnitOfWork, s: ParsedSettlement, file_name: str, who: str) -> SettlementSummary:
    settlement_id = int(uow.conn.execute(_SETTLEMENTS.insert().values(
        tenant_id=uow.tenant_id, settlement_ref=s.settlement_ref, settled_on=s.settled_on, currency=s.currency,
        gross=s.gross, fees=s.fees, payout=s.payout, line_count=len(s.lines), digest=s.digest, file_name=file_name,
        imported_by=who).returning(_SETTLEMENTS.c.id)).scalar_one())
    uow.conn.execute(_LINES.insert(), [
        {"tenant_id": uow.tenant_id, "settlement_id": settlement_id, "line": x.line, "settled_on": x.settled_on,
         "payment_reference": x.payment_reference, "type": x.type, "gross": x.gross, "fee": x.fee, "net": x.net}
        for x in s.lines])
    payload = {"settlement_id": settlement_id, "settlement_ref": s.settlement_ref,
               "settled_on": s.settled_on.isoformat(), "currency": s.currency, "gross": str(s.gross),
               "fees": str(s.fees), "payout": str(s.payout), "lines": len(s.lines)}
    event_id = add_event(uow, IMPORTED, payload)
    draft = settlement_entry(s)
    entry_id = None
    if draft is not None:
        posted_at = datetime.combine(s.settled_on, time.min)
        event = Event(event_id, uow.tenant_id, IMPORTED, payload, posted_at)
        entry_id = journal.post_entry(uow, draft, tenant_id=uow.tenant_id, posted_at=posted_at, event=event,
                                      order_id=None)
        uow.conn.execute(_SETTLEMENTS.update().where(_SETTLEMENTS.c.id == settlement_id)
                         .values(journal_entry_id=entry_id))
    return SettlementSummary(settlement_id, s.settlement_ref, s.settled_on, s.currency, s.gross, s.fees, s.payout,
                             len(s.lines), entry_id, file_name, who)


@requires(ACCOUNTING_VIEW)
def list_settlements(uow: UnitOfWork, limit: int = 50) -> list[SettlementSummary]:
    """The latest imported settlements, newest first."""
    s = _SETTLEMENTS
    rows = uow.conn.execute(select(s).where(s.c.tenant_id == uow.tenant_id)
                            .order_by(s.c.settled_on.desc(), s.c.id.desc()).limit(limit)).all()
    return [SettlementSummary(r.id, r.settlement_ref, r.settled_on, r.currency, Decimal(r.gross), Decimal(r.fees),
                              Decimal(r.payout), r.line_count, r.journal_entry_id, r.file_name, r.imported_by,
                              r.created_at) for r in rows]

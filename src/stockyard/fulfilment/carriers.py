"""The carrier interface and the built-in table-rate carrier.

A carrier prices parcels (`quote`), books them (`create_shipment` → tracking number and PDF label), hands the
label out again (`label`), reports tracking (`track`) and withdraws a booking before handover (`cancel`).
Adapters for carriers with an outside API implement the same protocol and are registered under the code of the
Carrier row they serve; every other code gets the table-rate carrier, which prices with our own rate tables
(fulfilment/rating.py), numbers parcels from a per-tenant sequence, draws its own labels, and whose tracking is
what staff record (there is nobody to ask).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from stockyard.core.files import FileStore
from stockyard.core.uow import UnitOfWork
from stockyard.fulfilment.labels import LabelData, LabelParty, render_label
from stockyard.fulfilment.models import Shipment, ShipmentEvent, TrackingSequence
from stockyard.fulfilment.quotes import QuoteRequest, ShippingOption, quote


@dataclass(frozen=True)
class ShipmentBooking:
    """What a carrier needs to book one parcel."""

    carrier_code: str
    carrier_name: str
    method_code: str
    method_name: str
    sender: LabelParty
    recipient: LabelParty
    weight_g: int
    reference: str = ""


@dataclass(frozen=True)
class BookedShipment:
    tracking_number: str
    label_pdf: bytes


@dataclass(frozen=True)
class TrackingEvent:
    status: str  # label_created, in_transit, out_for_delivery, delivered, exception, cancelled
    at: datetime
    note: str = ""


class CarrierAdapter(Protocol):
    code: str

    def quote(self, uow: UnitOfWork, req: QuoteRequest) -> list[ShippingOption]: ...

    def create_shipment(self, uow: UnitOfWork, booking: ShipmentBooking) -> BookedShipment: ...

    def label(self, uow: UnitOfWork, shipment_id: int, store: FileStore) -> bytes: ...

    def track(self, uow: UnitOfWork, shipment_id: int) -> list[TrackingEvent]: ...

    def cancel(self, uow: UnitOfWork, shipment_id: int) -> None: ...


def next_tracking_number(uow: UnitOfWork, carrier_code: str) -> str:
    """The carrier code (letters and digits, upper case) and the tenant's next number for it, zero-padded:
    "DHL0000000042". One row per tenant and carrier, bumped by a conditional UPDATE ... RETURNING, so concurrent
    shipments never share a number."""
    t = TrackingSequence.__table__
    dialect = postgresql if uow.conn.dialect.name == "postgresql" else sqlite
    uow.conn.execute(dialect.insert(t).values(tenant_id=uow.tenant_id, carrier_code=carrier_code, last=0)
                     .on_conflict_do_nothing())
    number = uow.conn.execute(update(t).where(t.c.tenant_id == uow.tenant_id, t.c.carrier_code == carrier_code)
                              .values(last=t.c.last + 1).returning(t.c.last)).scalar_one()
    prefix = "".join(c for c in carrier_code.upper() if c.isalnum())[:10] or "TRK"
    return f"{prefix}{number:010d}"


class TableRateCarrier:
    """Our own rate tables, numbers and labels; tracking is what staff record."""

    def __init__(self, code: str) -> None:
        self.code = code

    def quote(self, uow: UnitOfWork, req: QuoteRequest) -> list[ShippingOption]:
        return [option for option in quote(uow, req) if option.carrier_code == self.code]

    def create_shipment(self, uow: UnitOfWork, booking: ShipmentBooking) -> BookedShipment:
        tracking = next_tracking_number(uow, self.code)
        pdf = render_label(LabelData(tracking_number=tracking, carrier_name=booking.carrier_name,
                                     method_name=booking.method_name, sender=booking.sender,
                                     recipient=booking.recipient, weight_g=booking.weight_g,
                                     reference=booking.reference))
        return BookedShipment(tracking, pdf)

    def label(self, uow: UnitOfWork, shipment_id: int, store: FileStore) -> bytes:
        s = Shipment.__table__
        key = uow.conn.execute(select(s.c.label_key).where(s.c.tenant_id == uow.tenant_id,
                                                           s.c.id == shipment_id)).scalar_one()
        return store.get(key)

    def track(self, uow: UnitOfWork, shipment_id: int) -> list[TrackingEvent]:
        e = ShipmentEvent.__table__
        rows = uow.conn.execute(select(e.c.status, e.c.at, e.c.note).where(
            e.c.tenant_id == uow.tenant_id, e.c.shipment_id == shipment_id).order_by(e.c.at, e.c.id))
        return [TrackingEvent(row.status, row.at, row.note) for row in rows]

    def cancel(self, uow: UnitOfWork, shipment_id: int) -> None:
        """Nothing was booked outside: the number is simply never used again."""


_ADAPTERS: dict[str, Callable[[str], CarrierAdapter]] = {}


def register_carrier(code: str, factory: Callable[[str], CarrierAdapter]) -> None:
    """Serve the Carrier rows with this code (case-insensitive) through another adapter."""
    _ADAPTERS[code.lower()] = factory


def carrier_for(code: str) -> CarrierAdapter:
    """The adapter for a Carrier row's code; codes without one get the table-rate carrier."""
    factory = _ADAPTERS.get(code.lower())
    return factory(code) if factory is not None else TableRateCarrier(code)

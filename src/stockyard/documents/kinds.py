"""The document types: their title, number prefix, what object they belong to and who may issue and read them."""

from dataclasses import dataclass
from enum import StrEnum

from stockyard.core.errors import ValidationFailed
from stockyard.identity.domain import (
    FULFILMENT_PACK,
    FULFILMENT_PICK,
    FULFILMENT_SHIP,
    INVENTORY_VIEW,
    ORDERS_VIEW,
    PURCHASING_VIEW,
    RETURNS_VIEW,
)


class DocType(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    PACKING_SLIP = "packing_slip"
    DELIVERY_NOTE = "delivery_note"
    PICK_LIST = "pick_list"
    GOODS_RECEIPT = "goods_receipt"
    PURCHASE_ORDER = "purchase_order"
    TRANSFER = "transfer"
    COUNT_SHEET = "count_sheet"


class Subject(StrEnum):
    ORDER = "order"
    RETURN = "return"
    PURCHASE_ORDER = "purchase_order"
    TRANSFER = "transfer"
    COUNT = "count"


@dataclass(frozen=True)
class Kind:
    doc_type: DocType
    title: str
    # Numbered by the document type's own gapless counter (PS-000001); None: the document carries the number of
    # the object it prints (the invoice's INV-2026-000001, the purchase order's PO-000001).
    prefix: str | None
    subject: Subject
    permission: str  # to issue, list and download
    # "Issue again" makes a new numbered document from the object as it is now; the others are issued once.
    reissuable: bool


KINDS: dict[DocType, Kind] = {k.doc_type: k for k in (
    Kind(DocType.INVOICE, "Invoice", None, Subject.ORDER, ORDERS_VIEW, False),
    Kind(DocType.CREDIT_NOTE, "Credit note", "CN", Subject.RETURN, RETURNS_VIEW, False),
    # Printed on the warehouse floor by whoever picks, packs and ships, who need not browse orders otherwise.
    Kind(DocType.PACKING_SLIP, "Packing slip", "PS", Subject.ORDER, FULFILMENT_PACK, True),
    Kind(DocType.DELIVERY_NOTE, "Delivery note", "DN", Subject.ORDER, FULFILMENT_SHIP, True),
    Kind(DocType.PICK_LIST, "Pick list", "PL", Subject.ORDER, FULFILMENT_PICK, True),
    Kind(DocType.GOODS_RECEIPT, "Goods receipt", "GR", Subject.PURCHASE_ORDER, PURCHASING_VIEW, True),
    Kind(DocType.PURCHASE_ORDER, "Purchase order", None, Subject.PURCHASE_ORDER, PURCHASING_VIEW, True),
    Kind(DocType.TRANSFER, "Transfer document", "TD", Subject.TRANSFER, INVENTORY_VIEW, True),
    Kind(DocType.COUNT_SHEET, "Count sheet", "CS", Subject.COUNT, INVENTORY_VIEW, True),
)}

# What each object's page offers to print.
FOR_SUBJECT: dict[Subject, list[Kind]] = {s: [k for k in KINDS.values() if k.subject is s] for s in Subject}


def kind_of(doc_type: str) -> Kind:
    try:
        return KINDS[DocType(doc_type)]
    except ValueError:
        raise ValidationFailed(f"unknown document type {doc_type!r}; choose one of {', '.join(DocType)}",
                               field="doc_type") from None

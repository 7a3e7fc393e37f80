"""The versioned events Stockyard emits and the JSON Schema of each one's payload, published at
`GET /api/v1/events/schema`. The events consumers and webhooks rely on have a model of their own; the many
configuration and audit events share a few generic shapes. tests/integration/test_event_schemas.py fails when a
type written anywhere in src/ is missing here: add a new type to a group (or give it a model) when you add it.

Every payload may carry more fields than its schema names (additive changes keep the version); a change that
removes or renames a field gets a new version (`.v2`).
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Payload(BaseModel):
    model_config = ConfigDict(extra="allow")


class RecordChanged(Payload):
    """A record of the admin or back office was created, changed or deleted: its id under a type-specific key
    (`id`, `product_id`, ...) and the record `before` and/or `after` the change."""

    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


class RecordEvent(Payload):
    """A business fact about one record, named by an id key of its type (`count_id`, `transfer_id`, ...)."""


class OrderPlaced(Payload):
    order_id: int
    number: str
    channel_id: int
    customer_id: int | None
    grand_total: str = Field(description="decimal as a string")
    currency: str
    source: str | None = Field(default=None, description="storefront, staff, or the channel's source")
    external_ref: str | None = None


class OrderRef(Payload):
    order_id: int
    number: str


class OrderTransition(OrderRef):
    """An order moved from one status to another by the named action."""

    from_: str | None = Field(default=None, alias="from")
    to: str
    note: str | None = None


class OrderAllocated(OrderRef):
    short: Any = Field(default=None, description="what could not be allocated, per line")


class StockChanged(Payload):
    reason: str
    document_type: str | None = None
    document_id: Any = None
    move_ids: list[int]
    items: list[dict[str, Any]] = Field(description="per SKU and warehouse: the quantities after the moves")


class StockReservation(Payload):
    reservation_id: int | None = None
    reservation_ids: list[int] | None = None
    sku_id: int | None = None
    items: list[dict[str, Any]] | None = None


class PaymentEvent(Payload):
    payment_id: int | None = None
    order_id: int | None = None
    state: str | None = None
    currency: str | None = None
    authorized_amount: str | None = None
    captured_amount: str | None = None
    refunded_amount: str | None = None
    amount: str | None = None


class ShipmentEvent(Payload):
    shipment_id: int | None = None
    order_id: int | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    lines: list[dict[str, Any]] | None = None


class InvoiceIssued(Payload):
    invoice_id: int
    number: str
    order_id: int
    order_number: str
    currency: str
    subtotal: str
    shipping_total: str
    tax_total: str
    grand_total: str


class ReturnEvent(Payload):
    return_id: int
    number: str
    order_id: int
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None


class PurchaseOrderEvent(Payload):
    purchase_order_id: int
    number: str
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None


class JournalEntryPosted(Payload):
    entry_id: int
    kind: str
    currency: str
    lines: list[dict[str, Any]] = Field(description="account, debit, credit")
    reference: str | None = None
    source_event_id: str | None = None
    source_event_type: str | None = None


class ForecastsRecomputed(Payload):
    count: int = Field(description="forecasts made, one per SKU and warehouse that shipped in the history window")
    computed_at: str
    last_week: str = Field(description="the Monday of the newest complete week learnt from")


class LandedCostApplied(Payload):
    landed_cost_id: int
    number: str
    kind: str = Field(description="freight, duty or other")
    basis: str = Field(description="value, quantity or weight")
    amount: str = Field(description="decimal as a string")
    currency: str
    inventory_amount: str = Field(description="the part revaluing units still on hand")
    cogs_amount: str = Field(description="the part of units already sold")
    applied_at: str
    move_ids: list[int] = Field(description="the receipt stock moves it was allocated onto")


class ValuationMethodChanged(Payload):
    before: str = Field(description="fifo or average")
    after: str
    effective_at: str


class DeadLetterAction(Payload):
    delivery_id: int
    consumer: str
    event_id: str
    event_type: str
    attempts: int
    last_error: str


def _types(text: str) -> list[str]:
    return text.split()


ORDER_ACTIONS = ["hold", "allocate", "cancel", "start_picking", "pack", "ship", "deliver", "invoice", "close"]
GROUPS: list[tuple[type[BaseModel], list[str]]] = [
    (OrderPlaced, ["order.placed.v1"]),
    (OrderRef, _types("order.paid.v1 order.lines_edited.v1 order.released.v1 order.reallocated.v1")),
    (OrderAllocated, ["order.allocated.v1"]),
    (OrderTransition, [f"order.{action}.v1" for action in ORDER_ACTIONS] + ["order.cancelled.v1"]),
    (StockChanged, ["stock.changed.v1"]),
    (StockReservation, _types("stock.reserved.v1 stock.reservation_consumed.v1 stock.reservation_released.v1 "
                              "stock.reservation_expired.v1")),
    (RecordEvent, _types("stock.shortage.v1 stock.shortage_resolved.v1")),
    (PaymentEvent, _types("payment.authorized.v1 payment.captured.v1 payment.failed.v1 payment.refunded.v1 "
                          "payment.voided.v1 payment.amount_changed.v1 payment.pending.v1 "
                          "payment.action_required.v1")),
    (ShipmentEvent, _types("shipment.created.v1 shipment.cancelled.v1 shipment.delivered.v1 "
                           "shipment.tracking_updated.v1")),
    (InvoiceIssued, ["invoice.issued.v1"]),
    (ReturnEvent, _types("return.requested.v1 return.authorized.v1 return.rejected.v1 return.received.v1 "
                         "return.inspected.v1 return.refunded.v1 return.exchanged.v1 return.closed.v1")),
    (PurchaseOrderEvent, _types("purchase_order.created.v1 purchase_order.rescheduled.v1 purchase_order.sent.v1 "
                                "purchase_order.cancelled.v1 purchase_order.received.v1 purchase_order.closed.v1")),
    (JournalEntryPosted, ["journal.entry_posted.v1"]),
    (LandedCostApplied, ["landed_cost.applied.v1"]),
    (ValuationMethodChanged, ["valuation.method_changed.v1"]),
    (ForecastsRecomputed, ["demand.forecasts_recomputed.v1"]),
    (DeadLetterAction, _types("integration.dead_letter_replayed.v1 integration.dead_letter_discarded.v1")),
    (RecordChanged, _types(
        "account.created.v1 account.updated.v1 accounting_period.closed.v1 accounting_period.reopened.v1 "
        "api_key.created.v1 api_key.revoked.v1 attribute.created.v1 attribute.updated.v1 brand.created.v1 "
        "brand.updated.v1 carrier.created.v1 carrier.deleted.v1 carrier.updated.v1 category.created.v1 "
        "category.updated.v1 channel.created.v1 channel.deleted.v1 channel.updated.v1 "
        "channel.connection_created.v1 channel.connection_deactivated.v1 channel.connection_secret_rotated.v1 "
        "channel.connection_updated.v1 channel.sku_mapped.v1 channel.sku_unmapped.v1 "
        "channel.sync_settings_changed.v1 customer.address_added.v1 customer.address_deleted.v1 "
        "customer.address_updated.v1 customer.default_address_set.v1 free_shipping.set.v1 "
        "location.capacity_set.v1 location.created.v1 min_stock_rule.set.v1 payment_method.created.v1 "
        "payment_method.deleted.v1 payment_method.updated.v1 price_list.created.v1 price_list.deleted.v1 "
        "price_list.prices_set.v1 price_list.updated.v1 product.created.v1 product.image_added.v1 "
        "product.image_removed.v1 product.image_updated.v1 product.images_reordered.v1 product.updated.v1 "
        "putaway_rule.removed.v1 putaway_rule.set.v1 role.created.v1 role.deleted.v1 role.updated.v1 "
        "shipping_method.created.v1 shipping_method.deleted.v1 shipping_method.updated.v1 shipping_rates.set.v1 "
        "shipping_zone.created.v1 shipping_zone.deleted.v1 shipping_zone.updated.v1 sku.attributes_changed.v1 "
        "sku.barcode_added.v1 sku.barcode_removed.v1 sku.created.v1 sku.equivalents_changed.v1 "
        "sku.related_added.v1 sku.related_removed.v1 sku.replacement_removed.v1 sku.replacement_set.v1 "
        "sku.updated.v1 supplier.created.v1 supplier.updated.v1 supplier_sku.removed.v1 supplier_sku.set.v1 "
        "tax_class.created.v1 tax_class.deleted.v1 tax_rate.created.v1 tax_rate.deleted.v1 "
        "tenant.created.v1 tenant.renamed.v1 tenant.suspended.v1 tenant.reactivated.v1 "
        "user.created.v1 user.updated.v1 user.deactivated.v1 "
        "user.reactivated.v1 warehouse.created.v1 warehouse.updated.v1 webhook.subscription_created.v1 "
        "webhook.subscription_updated.v1 webhook.subscription_deleted.v1 webhook.subscription_disabled.v1 "
        "webhook.secret_rotated.v1 webhook.delivery_resent.v1")),
    (RecordEvent, _types(
        "analytics.alert_raised.v1 analytics.alert_acknowledged.v1 analytics.alert_dismissed.v1 "
        "settlement.imported.v1 "
        "asn.cancelled.v1 asn.created.v1 asn.received.v1 channel.order_paid.v1 channel.order_received.v1 "
        "count.approved.v1 "
        "count.cancelled.v1 count.line_recorded.v1 count.opened.v1 customer.registered.v1 "
        "customer.sign_in_failed.v1 customer.signed_in.v1 document.issued.v1 document.mailed.v1 "
        "fulfilment.packed.v1 fulfilment.parcel_closed.v1 fulfilment.pick_list_cancelled.v1 "
        "fulfilment.pick_list_picked.v1 fulfilment.picked.v1 "
        "fulfilment.replenishment_created.v1 fulfilment.short_pick.v1 fulfilment.wave_created.v1 "
        "goods_receipt.blind.v1 transfer.dispatched.v1 transfer.received.v1 user.password_changed.v1 "
        "user.password_reset.v1 user.password_reset_requested.v1 user.sign_in_failed.v1 user.signed_in.v1 "
        "user.signed_out.v1 user.totp_disabled.v1 user.totp_enabled.v1 webhook.test.v1")),
]


def event_types() -> dict[str, type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for model, types in GROUPS:
        for event_type in types:
            if event_type in found and found[event_type] is not model:
                raise ValueError(f"event type {event_type} is in two groups")
            found[event_type] = model
    return dict(sorted(found.items()))


def schema_document() -> dict[str, Any]:
    """Every event type with its payload's JSON Schema; shared shapes under `$defs`, referenced by name."""
    types = event_types()
    definitions = {model.__name__: model.model_json_schema(by_alias=True) for model in set(types.values())}
    return {
        "envelope": {"event_id": "uuid", "tenant_id": "integer", "type": "versioned type, e.g. order.placed.v1",
                     "created_at": "ISO 8601 UTC", "payload": "the type's payload, below"},
        "types": {event_type: {"payload": {"$ref": f"#/$defs/{model.__name__}"},
                               "description": (model.__doc__ or "").strip()}
                  for event_type, model in types.items()},
        "$defs": dict(sorted(definitions.items())),
    }

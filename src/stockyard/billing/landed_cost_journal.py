"""Posts an applied landed cost to the journal: Dr inventory (the units still on hand) + Dr COGS (the units
already sold) / Cr accrued freight and duty, from `landed_cost.applied.v1` (the split was made when it was
applied, billing/landed_cost.py)."""

from datetime import datetime
from decimal import Decimal

from stockyard.billing.journal import post_entry
from stockyard.billing.landed_cost_domain import landed_cost_entry
from stockyard.core.uow import UnitOfWork
from stockyard.integration.consumers import Event, register


@register("accounting.landed_costs", ["landed_cost.applied.v1"])
def handle(uow: UnitOfWork, event: Event) -> None:
    p = event.payload
    draft = landed_cost_entry(p["currency"], Decimal(p["inventory_amount"]), Decimal(p["cogs_amount"]),
                              reference=p.get("number", ""),
                              memo=f"landed cost {p.get('number', '')} ({p.get('kind', '')}, by {p.get('basis', '')})"
                                   + (f", {p['reference']}" if p.get("reference") else ""))
    post_entry(uow, draft, tenant_id=event.tenant_id, posted_at=datetime.fromisoformat(p["applied_at"]), event=event,
               order_id=None)

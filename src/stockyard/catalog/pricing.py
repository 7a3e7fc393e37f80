"""Price lists: use cases (create, edit, delete, set a SKU's tiers) and read models (lists, detail, price lookup)."""

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, func, or_, select

from stockyard.catalog import listings
from stockyard.catalog.models import Sku
from stockyard.catalog.pricing_domain import ListForSku, Tier, check_tiers, check_validity, resolve_price
from stockyard.catalog.pricing_models import PriceList, PriceTier
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound
from stockyard.core.iso_codes import check_currency
from stockyard.core.outbox import add_event
from stockyard.core.pagination import Page, paginate, sorted_by
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import CATALOG_VIEW, PRICING_EDIT
from stockyard.sales.channels import channel_by_code, channel_by_id
from stockyard.sales.models import Channel


class PriceListIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    channel: str = Field(min_length=1, description="channel code")
    currency: str | None = Field(default=None, description="ISO 4217; the channel's currency when left out")
    priority: int = Field(default=0, ge=-1000, le=1000)
    valid_from: date | None = None
    valid_to: date | None = None
    active: bool = True


class TierIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    min_quantity: int = Field(ge=1)
    unit_price: Decimal


class SetSkuPrices(BaseModel):
    """Replaces the SKU's tiers in one price list; no tiers removes the SKU from the list."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str = Field(min_length=1, max_length=64)
    tiers: list[TierIn] = Field(default_factory=list, max_length=50)


def price_list_dict(price_list: PriceList) -> dict[str, Any]:
    return {"id": price_list.id, "name": price_list.name, "channel_id": price_list.channel_id,
            "currency": price_list.currency, "priority": price_list.priority,
            "valid_from": price_list.valid_from.isoformat() if price_list.valid_from else None,
            "valid_to": price_list.valid_to.isoformat() if price_list.valid_to else None,
            "active": price_list.active}


def _load(uow: UnitOfWork, list_id: int) -> PriceList:
    found = uow.execute(select(PriceList).where(PriceList.id == list_id)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"unknown price list {list_id}", field="price_list_id")
    return found


def _sku(uow: UnitOfWork, code: str, field: str = "sku") -> Sku:
    found = uow.execute(select(Sku).where(Sku.code == code.strip())).scalar_one_or_none()
    if found is None:
        raise NotFound(f"unknown SKU '{code}'", field=field)
    return found


def _values(uow: UnitOfWork, cmd: PriceListIn, except_id: int | None = None) -> dict[str, Any]:
    channel = channel_by_code(uow, cmd.channel)
    currency = check_currency(cmd.currency) if cmd.currency else channel.currency
    check_validity(cmd.valid_from, cmd.valid_to)
    clash = select(PriceList.id).where(func.lower(PriceList.name) == cmd.name.strip().lower())
    if except_id is not None:
        clash = clash.where(PriceList.id != except_id)
    if uow.execute(clash).first() is not None:
        raise Conflict(f"a price list named '{cmd.name}' exists already", field="name")
    return {"name": cmd.name.strip(), "channel_id": channel.id, "currency": currency, "priority": cmd.priority,
            "valid_from": cmd.valid_from, "valid_to": cmd.valid_to, "active": cmd.active}


def create_price_list(uow: UnitOfWork, cmd: PriceListIn) -> int:
    uow.require(PRICING_EDIT)
    price_list = PriceList(tenant_id=uow.tenant_id, created_at=utcnow(), **_values(uow, cmd))
    uow.session.add(price_list)
    uow.session.flush()
    listings.refresh(uow, price_list.channel_id)  # its validity dates may end the channel's window
    add_event(uow, "price_list.created.v1", {"after": price_list_dict(price_list)})
    return price_list.id


def update_price_list(uow: UnitOfWork, list_id: int, cmd: PriceListIn) -> None:
    uow.require(PRICING_EDIT)
    price_list = _load(uow, list_id)
    values = _values(uow, cmd, except_id=list_id)
    before = price_list_dict(price_list)
    for key, value in values.items():
        setattr(price_list, key, value)
    uow.session.flush()
    for channel_id in {before["channel_id"], price_list.channel_id}:
        listings.refresh(uow, channel_id)
    add_event(uow, "price_list.updated.v1", {"id": list_id, "before": before, "after": price_list_dict(price_list)})


def delete_price_list(uow: UnitOfWork, list_id: int) -> None:
    """A price list owns its tiers; they go with it."""
    uow.require(PRICING_EDIT)
    price_list = _load(uow, list_id)
    before = price_list_dict(price_list)
    uow.execute(delete(PriceTier).where(PriceTier.price_list_id == list_id))
    uow.session.delete(price_list)
    uow.session.flush()
    listings.refresh(uow, before["channel_id"])
    add_event(uow, "price_list.deleted.v1", {"id": list_id, "before": before})


def _tiers_of(uow: UnitOfWork, list_id: int, sku_id: int) -> list[dict[str, str | int]]:
    rows = uow.execute(select(PriceTier.min_quantity, PriceTier.unit_price)
                       .where(PriceTier.price_list_id == list_id, PriceTier.sku_id == sku_id)
                       .order_by(PriceTier.min_quantity)).all()
    return [{"min_quantity": r.min_quantity, "unit_price": str(r.unit_price)} for r in rows]


def set_sku_prices(uow: UnitOfWork, list_id: int, cmd: SetSkuPrices) -> None:
    uow.require(PRICING_EDIT)
    price_list = _load(uow, list_id)
    sku = _sku(uow, cmd.sku)
    tiers = check_tiers([Tier(t.min_quantity, t.unit_price) for t in cmd.tiers])
    before = _tiers_of(uow, list_id, sku.id)
    uow.execute(delete(PriceTier).where(PriceTier.price_list_id == list_id, PriceTier.sku_id == sku.id))
    uow.session.add_all(PriceTier(tenant_id=uow.tenant_id, price_list_id=price_list.id, sku_id=sku.id,
                                  min_quantity=t.min_quantity, unit_price=t.unit_price) for t in tiers)
    uow.session.flush()
    listings.refresh(uow, price_list.channel_id, [sku.id])
    add_event(uow, "price_list.prices_set.v1", {"id": list_id, "sku": sku.code, "before": before,
                                                "after": _tiers_of(uow, list_id, sku.id)})


# ---- read models ----------------------------------------------------------------------------------------------

@requires(CATALOG_VIEW)
def list_price_lists(uow: UnitOfWork, q: str = "", channel_id: int | None = None, page: int = 1,
                     per_page: int = 50, sort: str = "") -> Page[Any]:
    """Rows (price list, channel code, SKU count); searched by name or channel code; `sort` is a column key
    ("-key" descending), by channel (then priority, highest first) when it names none."""
    skus = (select(func.count(func.distinct(PriceTier.sku_id))).where(PriceTier.price_list_id == PriceList.id)
            .correlate(PriceList).scalar_subquery())
    stmt = (select(PriceList, Channel.code.label("channel_code"), skus.label("sku_count"))
            .join(Channel, Channel.id == PriceList.channel_id))
    stmt, sort = sorted_by(stmt, sort, {
        "name": PriceList.name, "channel": Channel.code, "currency": PriceList.currency,
        "priority": PriceList.priority, "valid_from": PriceList.valid_from, "valid_to": PriceList.valid_to,
        "skus": skus, "active": PriceList.active}, "channel")
    stmt = stmt.order_by(Channel.code, PriceList.priority.desc(), PriceList.name, PriceList.id)
    if q.strip():
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(PriceList.name).like(like), func.lower(Channel.code).like(like)))
    if channel_id is not None:
        stmt = stmt.where(PriceList.channel_id == channel_id)
    return paginate(uow.execute, stmt, page, per_page, sort)


@requires(CATALOG_VIEW)
def price_list_detail(uow: UnitOfWork, list_id: int, q: str = "", page: int = 1, per_page: int = 50) -> dict[str, Any]:
    price_list = _load(uow, list_id)
    channel = channel_by_id(uow, price_list.channel_id)
    sku_stmt = (select(Sku.id, Sku.code, Sku.name).where(Sku.id.in_(
        select(PriceTier.sku_id).where(PriceTier.price_list_id == list_id))).order_by(Sku.code))
    if q.strip():
        sku_stmt = sku_stmt.where(func.lower(Sku.code).like(f"%{q.strip().lower()}%"))
    skus = paginate(uow.execute, sku_stmt, page, per_page)
    ids = [row.id for row in skus.items]
    tiers: dict[int, list[Tier]] = {i: [] for i in ids}
    if ids:
        for row in uow.execute(select(PriceTier).where(PriceTier.price_list_id == list_id, PriceTier.sku_id.in_(ids))
                               .order_by(PriceTier.min_quantity)).scalars():
            tiers[row.sku_id].append(Tier(row.min_quantity, row.unit_price))
    rows = [{"sku": r.code, "name": r.name, "tiers": tiers[r.id]} for r in skus.items]
    return {"price_list": price_list, "channel": channel,
            "prices": Page(rows, skus.total, skus.page, skus.per_page)}


@requires(CATALOG_VIEW)
def sku_tiers(uow: UnitOfWork, list_id: int, sku_code: str) -> list[dict[str, str | int]]:
    _load(uow, list_id)
    return _tiers_of(uow, list_id, _sku(uow, sku_code).id)


@requires(CATALOG_VIEW)
def lookup_price(uow: UnitOfWork, sku_code: str, channel_code: str, quantity: int, currency: str | None = None,
                 day: date | None = None) -> dict[str, Any]:
    """The unit price of `quantity` × SKU on a channel on a day (today by default); NotFound when none applies."""
    channel = channel_by_code(uow, channel_code)
    sku = _sku(uow, sku_code)
    currency = check_currency(currency) if currency else channel.currency
    day = day or utcnow().date()
    lists: dict[int, PriceList] = {}
    tiers: dict[int, list[Tier]] = {}
    rows = uow.execute(select(PriceList, PriceTier.min_quantity, PriceTier.unit_price)
                       .join(PriceTier, PriceTier.price_list_id == PriceList.id)
                       .where(PriceTier.sku_id == sku.id, PriceList.channel_id == channel.id)).all()
    for price_list, min_quantity, unit_price in rows:
        lists[price_list.id] = price_list
        tiers.setdefault(price_list.id, []).append(Tier(min_quantity, unit_price))
    candidates = [ListForSku(p.id, p.name, p.channel_id, p.currency, p.priority, p.valid_from, p.valid_to, p.active,
                             tuple(tiers[p.id])) for p in lists.values()]
    resolved = resolve_price(candidates, channel.id, currency, quantity, day)
    if resolved is None:
        raise NotFound(f"no price list of channel '{channel.code}' prices {quantity} × '{sku.code}' in {currency} "
                       f"on {day.isoformat()}", field="sku")
    return {"sku": sku.code, "channel": channel.code, "currency": currency, "quantity": quantity,
            "date": day.isoformat(), "unit_price": str(resolved.unit_price.amount),
            "line_total": str(resolved.line_total.amount), "prices_include_tax": channel.prices_include_tax,
            "price_list": {"id": resolved.list_id, "name": resolved.list_name},
            "tier_min_quantity": resolved.tier.min_quantity}

"""Sales channels: create, edit, delete (when nothing refers to them) and the read models for pages and APIs."""

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from stockyard.core.errors import Conflict, NotFound
from stockyard.core.iso_codes import check_currency
from stockyard.core.outbox import add_event
from stockyard.core.pagination import Page, paginate, sorted_by
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import SETTINGS_MANAGE, SETTINGS_VIEW
from stockyard.sales.models import Channel

ChannelKind = Literal["storefront", "marketplace", "b2b", "pos"]
AllocationStrategy = Literal["priority", "fewest_shipments", "nearest", "cheapest_shipping"]


class ChannelIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    name: str = Field(min_length=1, max_length=200)
    kind: ChannelKind = "storefront"
    currency: str = Field(min_length=3, max_length=3)
    prices_include_tax: bool = True
    active: bool = True
    domain: str | None = Field(default=None, max_length=200, pattern=r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?$",
                               description="host name the storefront answers on; none: the default shop")
    allocation_strategy: AllocationStrategy = "priority"
    allow_split_shipments: bool = True
    hold_minutes: int = Field(default=15, ge=1, le=24 * 60, description="how long a cart holds the stock")
    tax_rate: Decimal = Field(default=Decimal(0), ge=0, lt=1, max_digits=6, decimal_places=4)

    @field_validator("domain", mode="before")
    @classmethod
    def _domain(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().lower()
            return value or None
        return value


def channel_dict(channel: Channel) -> dict[str, Any]:
    return {"id": channel.id, "code": channel.code, "name": channel.name, "kind": channel.kind,
            "currency": channel.currency, "prices_include_tax": channel.prices_include_tax, "active": channel.active,
            "domain": channel.domain, "allocation_strategy": channel.allocation_strategy,
            "allow_split_shipments": channel.allow_split_shipments, "hold_minutes": channel.hold_minutes,
            "tax_rate": str(channel.tax_rate)}


def _load(uow: UnitOfWork, channel_id: int) -> Channel:
    found = uow.execute(select(Channel).where(Channel.id == channel_id)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"unknown channel {channel_id}", field="channel_id")
    return found


def _check_code_free(uow: UnitOfWork, code: str, except_id: int | None = None) -> None:
    stmt = select(Channel.id).where(func.lower(Channel.code) == code.lower())
    if except_id is not None:
        stmt = stmt.where(Channel.id != except_id)
    if uow.execute(stmt).first() is not None:
        raise Conflict(f"a channel with the code '{code}' exists already", field="code")


def _check_domain_free(uow: UnitOfWork, domain: str | None, except_id: int | None = None) -> None:
    """Host names are unique across tenants (one host, one shop); the other tenant's channel is not named."""
    if domain is None:
        return
    stmt = select(Channel.id).where(Channel.domain == domain).execution_options(all_tenants=True)
    if except_id is not None:
        stmt = stmt.where(Channel.id != except_id)
    if uow.execute(stmt).first() is not None:
        raise Conflict(f"the host name '{domain}' is taken", field="domain")


def create_channel(uow: UnitOfWork, cmd: ChannelIn) -> int:
    uow.require(SETTINGS_MANAGE)
    currency = check_currency(cmd.currency)
    _check_code_free(uow, cmd.code)
    _check_domain_free(uow, cmd.domain)
    channel = Channel(tenant_id=uow.tenant_id, **cmd.model_dump(exclude={"currency"}), currency=currency)
    uow.session.add(channel)
    uow.session.flush()
    add_event(uow, "channel.created.v1", {"after": channel_dict(channel)})
    return channel.id


def update_channel(uow: UnitOfWork, channel_id: int, cmd: ChannelIn) -> None:
    uow.require(SETTINGS_MANAGE)
    channel = _load(uow, channel_id)
    currency = check_currency(cmd.currency)
    _check_code_free(uow, cmd.code, except_id=channel_id)
    _check_domain_free(uow, cmd.domain, except_id=channel_id)
    before = channel_dict(channel)
    for key, value in cmd.model_dump(exclude={"currency"}).items():
        setattr(channel, key, value)
    channel.currency = currency
    uow.session.flush()
    add_event(uow, "channel.updated.v1", {"id": channel_id, "before": before, "after": channel_dict(channel)})


def delete_channel(uow: UnitOfWork, channel_id: int) -> None:
    """Refused while price lists, payment methods (or later orders) refer to the channel: deactivate it instead."""
    uow.require(SETTINGS_MANAGE)
    channel = _load(uow, channel_id)
    before = channel_dict(channel)
    try:
        with uow.session.begin_nested():
            uow.session.delete(channel)
            uow.session.flush()
    except IntegrityError:
        raise Conflict(f"channel '{channel.code}' is still in use; deactivate it instead", field="channel_id") from None
    add_event(uow, "channel.deleted.v1", {"id": channel_id, "before": before})


# ---- read models ----------------------------------------------------------------------------------------------

@requires(SETTINGS_VIEW)
def list_channels(uow: UnitOfWork, q: str = "", page: int = 1, per_page: int = 50,
                  sort: str = "") -> Page[Channel]:
    """Searched by code or name; `sort` is a column key ("-key" descending), by code when it names none."""
    stmt, sort = sorted_by(select(Channel), sort, {
        "code": Channel.code, "name": Channel.name, "kind": Channel.kind, "currency": Channel.currency,
        "tax": Channel.prices_include_tax, "active": Channel.active}, "code")
    stmt = stmt.order_by(Channel.id)
    if q.strip():
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Channel.code).like(like), func.lower(Channel.name).like(like)))
    result = paginate(uow.execute, stmt, page, per_page, sort)
    return Page([row[0] for row in result.items], result.total, result.page, result.per_page, sort)


@requires(SETTINGS_VIEW)
def get_channel(uow: UnitOfWork, channel_id: int) -> Channel:
    return _load(uow, channel_id)


def channel_choices(uow: UnitOfWork) -> list[tuple[str, str]]:
    """(code, "CODE — name") of every channel, for other contexts' forms (codes and names are not sensitive)."""
    rows = uow.execute(select(Channel.code, Channel.name).order_by(Channel.code)).all()
    return [(r.code, f"{r.code} — {r.name}") for r in rows]


def channel_by_code(uow: UnitOfWork, code: str, field: str = "channel") -> Channel:
    """A channel of the current tenant by its code (case-insensitive), for other contexts' services."""
    found = uow.execute(select(Channel).where(func.lower(Channel.code) == code.strip().lower())).scalar_one_or_none()
    if found is None:
        raise NotFound(f"unknown channel '{code}'", field=field)
    return found


def channel_by_id(uow: UnitOfWork, channel_id: int, field: str = "channel_id") -> Channel:
    found = uow.execute(select(Channel).where(Channel.id == channel_id)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"unknown channel {channel_id}", field=field)
    return found

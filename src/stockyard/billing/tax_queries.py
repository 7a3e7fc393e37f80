"""Read models for tax: the rate each SKU is taxed at for a destination (one statement, for every order path), and
the tenant's classes and rates for the admin pages. The rules are in tax_domain.py."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, bindparam, case, func, select
from sqlalchemy.sql import FromClause

from stockyard.billing.tax_domain import LineRate, normal_region
from stockyard.billing.tax_models import TaxClass, TaxRate
from stockyard.catalog.models import Product, Sku
from stockyard.core.clock import utcnow
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import SETTINGS_VIEW

_rates = TaxRate.__table__
_classes = TaxClass.__table__
_skus = Sku.__table__
_products = Product.__table__

# The bind parameters `best_rate_id` adds to a statement; `rate_params` fills them.
COUNTRY, REGION, ON = "tax_country", "tax_region", "tax_on"


def best_rate_id(products: FromClause) -> ScalarSelect[Any]:
    """The id of the most specific rate for `products`' tax class at the destination bound by `rate_params`
    (country + region beats country; the latest valid_from on or before the day wins), correlated to `products`.
    Joined into a statement that already reads the products, it resolves every line's rate with no extra query."""
    r = _rates.alias("best_rate")
    return (select(r.c.id)
            .where(r.c.tenant_id == products.c.tenant_id, r.c.tax_class == products.c.tax_class,
                   r.c.country == bindparam(COUNTRY), r.c.region.in_(["", bindparam(REGION)]),
                   r.c.valid_from <= bindparam(ON))
            .order_by(case((r.c.region == "", 1), else_=0), r.c.valid_from.desc(), r.c.id.desc())
            .limit(1).correlate(products).scalar_subquery())


def rate_join(products: FromClause) -> tuple[FromClause, ColumnElement[bool]]:
    """The rates table and the ON clause to outer-join it by `best_rate_id` (its rate and name are NULL when no
    rate matches: the channel's rate applies)."""
    return _rates, _rates.c.id == best_rate_id(products)


def rate_params(country: str, region: str | None, on: date | None = None) -> dict[str, Any]:
    return {COUNTRY: country.strip().upper(), REGION: normal_region(region), ON: on or utcnow().date()}


def line_rate(rate: Decimal | None, name: str | None, fallback: LineRate) -> LineRate:
    """A row's joined rate, or the fallback when none matched."""
    return fallback if rate is None else LineRate(Decimal(rate), str(name))


def rates_for_skus(uow: UnitOfWork, sku_ids: Iterable[int], country: str, region: str | None,
                   fallback: LineRate) -> dict[int, LineRate]:
    """sku id → the rate it is taxed at when shipped to (country, region) today: one statement."""
    ids = sorted(set(sku_ids))
    if not ids:
        return {}
    rates, on = rate_join(_products)
    rows = uow.conn.execute(
        select(_skus.c.id, _rates.c.rate, _rates.c.name)
        .join(_products, _products.c.id == _skus.c.product_id)
        .outerjoin(rates, on)
        .where(_skus.c.tenant_id == uow.tenant_id, _skus.c.id.in_(ids)), rate_params(country, region))
    return {r.id: line_rate(r.rate, r.name, fallback) for r in rows}


# ---- admin read models ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TaxClassRow:
    id: int
    code: str
    name: str
    products: int


@dataclass(frozen=True)
class TaxRateRow:
    id: int
    country: str
    region: str
    tax_class: str
    name: str
    rate: Decimal
    valid_from: date


@requires(SETTINGS_VIEW)
def tax_classes(uow: UnitOfWork) -> list[TaxClassRow]:
    used: Mapping[str, int] = dict(uow.conn.execute(
        select(_products.c.tax_class, func.count()).where(_products.c.tenant_id == uow.tenant_id)
        .group_by(_products.c.tax_class)).all())
    return [TaxClassRow(r.id, r.code, r.name, int(used.get(r.code, 0))) for r in uow.conn.execute(
        select(_classes).where(_classes.c.tenant_id == uow.tenant_id).order_by(_classes.c.code))]


def tax_class_codes(uow: UnitOfWork) -> list[str]:
    return list(uow.conn.execute(select(_classes.c.code).where(_classes.c.tenant_id == uow.tenant_id)
                                 .order_by(_classes.c.code)).scalars())


@requires(SETTINGS_VIEW)
def tax_rates(uow: UnitOfWork) -> list[TaxRateRow]:
    return [TaxRateRow(r.id, r.country, r.region, r.tax_class, r.name, Decimal(r.rate), r.valid_from)
            for r in uow.conn.execute(select(_rates).where(_rates.c.tenant_id == uow.tenant_id).order_by(
                _rates.c.country, _rates.c.region, _rates.c.tax_class, _rates.c.valid_from.desc()))]

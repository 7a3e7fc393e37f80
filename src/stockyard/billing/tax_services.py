"""Tax configuration: the tenant's product tax classes and its rates by destination and class. A rate is never
edited in place: a new rate for the same destination and class with a later `valid_from` supersedes it from that
day (orders keep the rate they were placed with), and a rate set up by mistake is deleted."""

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import delete, func, select

from stockyard.billing.tax_domain import DEFAULT_TAX_CLASS, normal_region
from stockyard.billing.tax_models import TaxClass, TaxRate
from stockyard.catalog.models import Product
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.iso_codes import check_country
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import SETTINGS_MANAGE

_classes = TaxClass.__table__
_rates = TaxRate.__table__
_products = Product.__table__
CODE = r"^[a-z0-9][a-z0-9_-]*$"


class TaxClassIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=1, max_length=40, pattern=CODE, description="lower case, e.g. reduced")
    name: str = Field(min_length=1, max_length=120)

    @field_validator("code", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


class TaxRateIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    country: str = Field(min_length=2, max_length=2)
    region: str = Field(default="", max_length=40, description="state / province code; empty: the whole country")
    tax_class: str = Field(default=DEFAULT_TAX_CLASS, min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=120, description='as documents print it, e.g. "DE VAT standard 19%"')
    rate: Decimal = Field(ge=0, lt=1, max_digits=6, decimal_places=4, description="0.19 for 19 %")
    valid_from: date = Field(default=date(2000, 1, 1))


def class_codes(uow: UnitOfWork) -> set[str]:
    """The tenant's tax class codes; "standard" always exists (every product starts in it)."""
    return {DEFAULT_TAX_CLASS, *uow.conn.execute(select(_classes.c.code).where(
        _classes.c.tenant_id == uow.tenant_id)).scalars()}


def check_tax_class(uow: UnitOfWork, code: str, field: str = "tax_class") -> str:
    code = code.strip().lower()
    if code == DEFAULT_TAX_CLASS:  # always there: no query (the CSV import creates products by the thousand)
        return code
    if code not in class_codes(uow):
        raise ValidationFailed(f"'{code}' is not one of the tax classes ({', '.join(sorted(class_codes(uow)))})",
                               field=field)
    return code


def create_tax_class(uow: UnitOfWork, cmd: TaxClassIn) -> int:
    uow.require(SETTINGS_MANAGE)
    if uow.conn.execute(select(_classes.c.id).where(_classes.c.tenant_id == uow.tenant_id,
                                                    _classes.c.code == cmd.code)).first() is not None:
        raise Conflict(f"the tax class '{cmd.code}' exists already", field="code")
    class_id = int(uow.conn.execute(_classes.insert().values(tenant_id=uow.tenant_id, **cmd.model_dump())
                                    .returning(_classes.c.id)).scalar_one())
    add_event(uow, "tax_class.created.v1", {"id": class_id, "after": cmd.model_dump()})
    return class_id


def delete_tax_class(uow: UnitOfWork, class_id: int) -> None:
    """Refused while a product or a rate is in the class."""
    uow.require(SETTINGS_MANAGE)
    row = uow.conn.execute(select(_classes).where(_classes.c.tenant_id == uow.tenant_id,
                                                  _classes.c.id == class_id)).first()
    if row is None:
        raise NotFound(f"unknown tax class {class_id}", field="tax_class_id")
    products = uow.conn.execute(select(func.count()).where(_products.c.tenant_id == uow.tenant_id,
                                                           _products.c.tax_class == row.code)).scalar_one()
    rates = uow.conn.execute(select(func.count()).where(_rates.c.tenant_id == uow.tenant_id,
                                                        _rates.c.tax_class == row.code)).scalar_one()
    if products or rates:
        raise Conflict(f"the tax class '{row.code}' is used by {products} product(s) and {rates} rate(s)",
                       field="tax_class_id")
    uow.conn.execute(delete(_classes).where(_classes.c.id == class_id))
    add_event(uow, "tax_class.deleted.v1", {"id": class_id, "before": {"code": row.code, "name": row.name}})


def _rate_dict(cmd: TaxRateIn, country: str, region: str, tax_class: str) -> dict[str, Any]:
    return {"country": country, "region": region, "tax_class": tax_class, "name": cmd.name, "rate": str(cmd.rate),
            "valid_from": cmd.valid_from.isoformat()}


def create_tax_rate(uow: UnitOfWork, cmd: TaxRateIn) -> int:
    uow.require(SETTINGS_MANAGE)
    country = check_country(cmd.country)
    region = normal_region(cmd.region)
    tax_class = check_tax_class(uow, cmd.tax_class)
    taken = uow.conn.execute(select(_rates.c.id).where(
        _rates.c.tenant_id == uow.tenant_id, _rates.c.country == country, _rates.c.region == region,
        _rates.c.tax_class == tax_class, _rates.c.valid_from == cmd.valid_from)).first()
    if taken is not None:
        raise Conflict(f"a {tax_class} rate for {country}{' ' + region if region else ''} from "
                       f"{cmd.valid_from.isoformat()} exists already; delete it or give another date",
                       field="valid_from")
    rate_id = int(uow.conn.execute(_rates.insert().values(
        tenant_id=uow.tenant_id, country=country, region=region, tax_class=tax_class, name=cmd.name, rate=cmd.rate,
        valid_from=cmd.valid_from).returning(_rates.c.id)).scalar_one())
    add_event(uow, "tax_rate.created.v1", {"id": rate_id, "after": _rate_dict(cmd, country, region, tax_class)})
    return rate_id


def delete_tax_rate(uow: UnitOfWork, rate_id: int) -> None:
    """Orders already placed keep the rate they were taxed at (their lines carry it)."""
    uow.require(SETTINGS_MANAGE)
    row = uow.conn.execute(select(_rates).where(_rates.c.tenant_id == uow.tenant_id, _rates.c.id == rate_id)).first()
    if row is None:
        raise NotFound(f"unknown tax rate {rate_id}", field="tax_rate_id")
    uow.conn.execute(delete(_rates).where(_rates.c.id == rate_id))
    add_event(uow, "tax_rate.deleted.v1", {"id": rate_id, "before": {
        "country": row.country, "region": row.region, "tax_class": row.tax_class, "name": row.name,
        "rate": str(row.rate), "valid_from": row.valid_from.isoformat()}})

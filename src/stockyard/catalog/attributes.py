"""Attribute definitions (per tenant) and their values on SKUs; the storefront filters by them."""

from decimal import Decimal, InvalidOperation
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, func, insert, select

from stockyard.catalog.editing import load_sku
from stockyard.catalog.models import Attribute, SkuAttributeValue
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import CATALOG_EDIT


class AttributeIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    type: Literal["text", "number", "choice"]
    unit: str = Field(default="", max_length=16)
    choices: str = Field(default="", max_length=5000, description="for type 'choice': one value per line")

    def choice_list(self) -> list[str]:
        return parse_choices(self.choices)


def parse_choices(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _check(uow: UnitOfWork, cmd: AttributeIn, other_than: int | None = None) -> None:
    stmt = select(Attribute.id).where(func.lower(Attribute.name) == cmd.name.strip().lower())
    if other_than is not None:
        stmt = stmt.where(Attribute.id != other_than)
    if uow.execute(stmt).first():
        raise Conflict(f"an attribute named {cmd.name.strip()!r} exists", field="name")
    choices = cmd.choice_list()
    if cmd.type == "choice" and not choices:
        raise ValidationFailed("list the allowed values, one per line", field="choices")
    if len(set(choices)) != len(choices):
        raise ValidationFailed("a value is listed twice", field="choices")
    if any(len(c) > 255 for c in choices):
        raise ValidationFailed("a value is longer than 255 characters", field="choices")


def define_attribute(uow: UnitOfWork, cmd: AttributeIn) -> int:
    uow.require(CATALOG_EDIT)
    _check(uow, cmd)
    choices = "\n".join(cmd.choice_list()) if cmd.type == "choice" else ""
    attribute_id = uow.conn.execute(insert(Attribute).values(
        tenant_id=uow.tenant_id, name=cmd.name.strip(), type=cmd.type, unit=cmd.unit.strip(), choices=choices,
        created_at=utcnow()).returning(Attribute.id)).scalar_one()
    add_event(uow, "attribute.created.v1", {"attribute_id": attribute_id, "name": cmd.name.strip(),
                                            "type": cmd.type})
    return attribute_id


def update_attribute(uow: UnitOfWork, attribute_id: int, cmd: AttributeIn) -> None:
    """Rename, change the unit or the choices. The type is fixed once values exist, and a choice still in
    use cannot be removed."""
    uow.require(CATALOG_EDIT)
    attribute = _attribute(uow, attribute_id)
    _check(uow, cmd, other_than=attribute_id)
    used = list(uow.execute(select(SkuAttributeValue.value).where(
        SkuAttributeValue.attribute_id == attribute_id).distinct()).scalars())
    if used and cmd.type != attribute.type:
        raise Conflict(f"{len(used)} value(s) exist; the type cannot change", field="type")
    if cmd.type == "choice":
        missing = sorted(set(used) - set(cmd.choice_list()))
        if missing:
            raise Conflict(f"still used by SKUs: {', '.join(missing)}", field="choices")
    before = {"name": attribute.name, "type": attribute.type, "unit": attribute.unit, "choices": attribute.choices}
    attribute.name = cmd.name.strip()
    attribute.type = cmd.type
    attribute.unit = cmd.unit.strip()
    attribute.choices = "\n".join(cmd.choice_list()) if cmd.type == "choice" else ""
    uow.session.flush()
    add_event(uow, "attribute.updated.v1", {"attribute_id": attribute_id, "before": before, "after": {
        "name": attribute.name, "type": attribute.type, "unit": attribute.unit, "choices": attribute.choices}})


def _attribute(uow: UnitOfWork, attribute_id: int) -> Attribute:
    found = uow.execute(select(Attribute).where(Attribute.id == attribute_id)).scalar()
    if found is None:
        raise NotFound(f"unknown attribute {attribute_id}", field="attribute_id")
    return found


def normalise_value(attribute: Attribute, text: str, field: str) -> tuple[str, Decimal | None]:
    value = text.strip()
    if len(value) > 255:
        raise ValidationFailed("is longer than 255 characters", field=field)
    if attribute.type == "number":
        try:
            number = Decimal(value.replace(",", "."))
        except InvalidOperation:
            raise ValidationFailed(f"{attribute.name} is a number, not {value!r}", field=field) from None
        if not number.is_finite() or abs(number) >= Decimal("1e12"):
            raise ValidationFailed(f"{attribute.name} is out of range", field=field)
        number = number.quantize(Decimal("0.000001"))
        return format(number.normalize(), "f"), number
    if attribute.type == "choice" and value not in parse_choices(attribute.choices):
        raise ValidationFailed(f"{attribute.name} must be one of: {', '.join(parse_choices(attribute.choices))}",
                               field=field)
    return value, None


def set_sku_attributes(uow: UnitOfWork, sku_id: int, values: dict[int, str]) -> None:
    """Sets the SKU's value of each attribute given; an empty value removes it. Form fields are attr.<id>."""
    uow.require(CATALOG_EDIT)
    sku = load_sku(uow, sku_id)
    attributes = {a.id: a for a in uow.execute(select(Attribute).where(Attribute.id.in_(list(values)))).scalars()}
    rows: list[dict[str, object]] = []
    for attribute_id, text in values.items():
        attribute = attributes.get(attribute_id)
        if attribute is None:
            raise NotFound(f"unknown attribute {attribute_id}", field=f"attr.{attribute_id}")
        if text.strip():
            value, number = normalise_value(attribute, text, f"attr.{attribute_id}")
            rows.append({"tenant_id": uow.tenant_id, "sku_id": sku_id, "attribute_id": attribute_id, "value": value,
                         "number": number})
    current = {v.attribute_id: v.value for v in uow.execute(select(SkuAttributeValue).where(
        SkuAttributeValue.sku_id == sku_id)).scalars()}
    uow.execute(delete(SkuAttributeValue).where(SkuAttributeValue.sku_id == sku_id,
                                                SkuAttributeValue.attribute_id.in_(list(values))))
    if rows:
        uow.conn.execute(insert(SkuAttributeValue), rows)
    after = {k: v for k, v in current.items() if k not in values} | {int(str(r["attribute_id"])): str(r["value"])
                                                                     for r in rows}
    add_event(uow, "sku.attributes_changed.v1", {"sku_id": sku_id, "sku": sku.code,
                                                 "before": {str(k): v for k, v in current.items()},
                                                 "after": {str(k): v for k, v in after.items()}})

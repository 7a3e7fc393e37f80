"""Customer linkage: the buyer of an inbound order becomes (or is found as) a customer of ours.

Public names (stable): `CustomerLinked`, `link_customer`, `linked_customer_id`.

In order: the site's customer id already linked on this connection → that customer ("linked"); else the customer
with the order's e-mail ("matched"); else a new guest customer ("created", sales.customers.customer_for_email).
A site customer id is then linked to the customer found, so the next order of the same site customer is linked
even when its e-mail changed. A guest checkout on the site (no customer id) is matched by e-mail and not linked.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from stockyard.core.clock import utcnow
from stockyard.core.uow import UnitOfWork
from stockyard.integration.channels.domain import InboundCustomer
from stockyard.integration.channels.models import ChannelCustomerLink
from stockyard.sales.customers import customer_for_email

_links = ChannelCustomerLink.__table__


@dataclass(frozen=True)
class CustomerLinked:
    customer_id: int
    how: str  # linked, matched, created


def linked_customer_id(uow: UnitOfWork, connection_id: int, external_customer_id: str) -> int | None:
    return uow.conn.execute(select(_links.c.customer_id).where(
        _links.c.tenant_id == uow.tenant_id, _links.c.connection_id == connection_id,
        _links.c.external_customer_id == external_customer_id)).scalar()


def link_customer(uow: UnitOfWork, connection_id: int, customer: InboundCustomer, *, name: str = "",
                  phone: str = "") -> CustomerLinked:
    """The customer of ours for this site's buyer (see the module's docstring); `name` and `phone` are used for
    a new customer when the site's customer record has none."""
    if customer.external_id:
        found = linked_customer_id(uow, connection_id, customer.external_id)
        if found is not None:
            return CustomerLinked(found, "linked")
    customer_id, created = customer_for_email(uow, customer.email, customer.name or name, customer.phone or phone)
    if customer.external_id:
        dialect_insert = pg_insert if uow.conn.dialect.name == "postgresql" else sqlite_insert
        uow.conn.execute(dialect_insert(_links).values(
            tenant_id=uow.tenant_id, connection_id=connection_id, external_customer_id=customer.external_id,
            customer_id=customer_id, created_at=utcnow()).on_conflict_do_nothing(
            index_elements=[_links.c.connection_id, _links.c.external_customer_id]))
    return CustomerLinked(customer_id, "created" if created else "matched")

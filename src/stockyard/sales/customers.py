"""Customer accounts of a shop: registration, sign-in and the address book. Customers are buyers, not staff users:
they have no roles, sign in on the storefront and are remembered in the session under `customer_id`.

Registering links the guest orders placed earlier with the same e-mail address to the new account, so that they
appear in the order history. Signing in is rate limited like staff sign-in (identity/login_limits.py) and answers
every failure with the same message.
"""

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from stockyard.core.actor import Actor
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotAuthenticated, NotFound, ValidationFailed
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import ORDERS_PLACE
from stockyard.identity.login_limits import LoginLimiter, TooManyAttempts, account_key, address_key
from stockyard.identity.passwords import validate_new_password
from stockyard.identity.services import hash_password, password_matches
from stockyard.sales.checkout import AddressIn, check_email
from stockyard.sales.models import Customer, CustomerAddress, Order

_customers = Customer.__table__
_addresses = CustomerAddress.__table__
_orders = Order.__table__

WRONG_CREDENTIALS = "wrong e-mail or password"
REFUSED = "too many failed sign-in attempts; wait a few minutes and try again"
# Hashed once per process: an unknown e-mail costs the same argon2 check as a known one.
_DUMMY_HASH: list[str] = []


class RegisterCustomer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    email: str
    name: str = Field(min_length=1, max_length=200)
    password: str = Field(max_length=200)
    phone: str = Field(default="", max_length=40)

    _email = field_validator("email")(classmethod(lambda cls, v: check_email(v)))


@dataclass(frozen=True)
class Registered:
    customer_id: int
    name: str
    linked_orders: int


@dataclass(frozen=True)
class SignedInCustomer:
    customer_id: int
    name: str
    email: str


def register_customer(uow: UnitOfWork, cmd: RegisterCustomer) -> Registered:
    """A new account; a buyer known so far only as a guest (a customer row without a password) gets the password.
    Guest orders with the same e-mail become the account's."""
    uow.require(ORDERS_PLACE)
    validate_new_password(cmd.password, cmd.email)
    found = uow.conn.execute(select(_customers.c.id, _customers.c.password_hash).where(
        _customers.c.tenant_id == uow.tenant_id, _customers.c.email == cmd.email)).first()
    password_hash = hash_password(cmd.password)
    if found is not None and found.password_hash is not None:
        raise Conflict("an account with this e-mail address exists already; sign in instead", field="email")
    if found is None:
        customer_id = uow.conn.execute(insert(_customers).returning(_customers.c.id), {
            "tenant_id": uow.tenant_id, "email": cmd.email, "name": cmd.name, "phone": cmd.phone,
            "password_hash": password_hash, "active": True, "created_at": utcnow()}).scalar_one()
    else:
        customer_id = found.id
        # Conditional on still having no password: of two registrations racing for one guest row, one wins.
        changed = uow.conn.execute(update(_customers).where(
            _customers.c.id == customer_id, _customers.c.password_hash.is_(None)).values(
            name=cmd.name, phone=cmd.phone, password_hash=password_hash, active=True))
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("an account with this e-mail address exists already; sign in instead", field="email")
    linked = uow.conn.execute(update(_orders).where(
        _orders.c.tenant_id == uow.tenant_id, _orders.c.customer_id.is_(None), _orders.c.email == cmd.email)
        .values(customer_id=customer_id)).rowcount  # type: ignore[attr-defined]
    add_event(uow, "customer.registered.v1", {"customer_id": customer_id, "email": cmd.email,
                                              "linked_orders": linked})
    return Registered(customer_id, cmd.name, linked)


def _dummy_hash() -> str:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password("not a real password, only for timing"))
    return _DUMMY_HASH[0]


def _record(engine: Engine, actor: Actor, event: str, payload: dict[str, object]) -> None:
    with UnitOfWork(engine, actor) as uow:
        add_event(uow, event, payload)


def authenticate_customer(engine: Engine, actor: Actor, limiter: LoginLimiter, *, email: str, password: str,
                          client_ip: str) -> SignedInCustomer:
    """The customer with this e-mail and password in the actor's shop (tenant). Every failure says the same; after
    too many failures for the account or from the address, attempts are refused without checking."""
    actor.require(ORDERS_PLACE)
    email = email.strip().lower()
    key = account_key(f"customer:{actor.tenant_id}", email)
    keys = [key, address_key(client_ip)]
    if limiter.blocked(keys):
        raise TooManyAttempts(REFUSED)
    with UnitOfWork(engine, actor, readonly=True) as uow:
        row = uow.conn.execute(select(_customers.c.id, _customers.c.name, _customers.c.email,
                                      _customers.c.password_hash, _customers.c.active).where(
            _customers.c.tenant_id == actor.tenant_id, _customers.c.email == email)).first()
    if row is None or row.password_hash is None or not row.active:
        password_matches(_dummy_hash(), password)
        ok = False
    else:
        ok = password_matches(row.password_hash, password)
    if not ok:
        limiter.record_failure(keys)
        _record(engine, actor, "customer.sign_in_failed.v1", {"email": email, "ip": client_ip})
        raise NotAuthenticated(WRONG_CREDENTIALS, field="password")
    limiter.reset(key)
    _record(engine, actor, "customer.signed_in.v1", {"customer_id": row.id, "ip": client_ip})
    return SignedInCustomer(row.id, row.name, row.email)


def active_customer(uow: UnitOfWork, customer_id: int) -> SignedInCustomer | None:
    """The signed-in customer of the session, or None when the account is gone or inactive."""
    row = uow.conn.execute(select(_customers.c.id, _customers.c.name, _customers.c.email).where(
        _customers.c.tenant_id == uow.tenant_id, _customers.c.id == customer_id,
        _customers.c.active.is_(True), _customers.c.password_hash.is_not(None))).first()
    return None if row is None else SignedInCustomer(row.id, row.name, row.email)



def customer_for_email(uow: UnitOfWork, email: str, name: str = "", phone: str = "") -> tuple[int, bool]:
    """The customer with this e-mail (checked and lower-cased); a new guest customer (no password) when there is
    none, e.g. the buyer of an order that came from an external sales channel. Returns (customer id, created).
    Two transactions creating the same customer at once cannot make two: the loser finds the winner's row."""
    uow.require(ORDERS_PLACE)
    try:
        email = check_email(email)
    except ValueError as error:
        raise ValidationFailed(f"'{email}' {error}", field="email") from None
    found = uow.conn.execute(select(_customers.c.id).where(_customers.c.tenant_id == uow.tenant_id,
                                                           _customers.c.email == email)).scalar()
    if found is not None:
        return int(found), False
    dialect_insert = pg_insert if uow.conn.dialect.name == "postgresql" else sqlite_insert
    created = uow.conn.execute(dialect_insert(_customers).values(
        tenant_id=uow.tenant_id, email=email, name=name[:200], phone=phone[:40], password_hash=None, active=True,
        created_at=utcnow()).on_conflict_do_nothing(index_elements=[_customers.c.tenant_id, _customers.c.email])
        .returning(_customers.c.id)).scalar()
    if created is not None:
        return int(created), True
    customer_id = uow.conn.execute(select(_customers.c.id).where(_customers.c.tenant_id == uow.tenant_id,
                                                                 _customers.c.email == email)).scalar_one()
    return int(customer_id), False


# ---- the address book -------------------------------------------------------------------------------------------

class CustomerAddressIn(AddressIn):
    is_default: bool = False


def _address_row(uow: UnitOfWork, customer_id: int, address_id: int) -> int:
    found = uow.conn.execute(select(_addresses.c.id).where(
        _addresses.c.tenant_id == uow.tenant_id, _addresses.c.customer_id == customer_id,
        _addresses.c.id == address_id)).scalar_one_or_none()
    if found is None:
        raise NotFound("unknown address", field="address_id")
    return found


def _has_addresses(uow: UnitOfWork, customer_id: int) -> bool:
    return uow.conn.execute(select(_addresses.c.id).where(
        _addresses.c.tenant_id == uow.tenant_id, _addresses.c.customer_id == customer_id).limit(1)).first() is not None


def _make_default(uow: UnitOfWork, customer_id: int, address_id: int) -> None:
    mine = (_addresses.c.tenant_id == uow.tenant_id) & (_addresses.c.customer_id == customer_id)
    uow.conn.execute(update(_addresses).where(mine, _addresses.c.id != address_id).values(is_default=False))
    uow.conn.execute(update(_addresses).where(mine, _addresses.c.id == address_id).values(is_default=True))


def add_address(uow: UnitOfWork, customer_id: int, cmd: CustomerAddressIn) -> int:
    """A new address; the first one becomes the default."""
    uow.require(ORDERS_PLACE)
    if active_customer(uow, customer_id) is None:
        raise NotFound("unknown customer", field="customer_id")
    first = not _has_addresses(uow, customer_id)
    values = cmd.model_dump(exclude={"is_default"})
    address_id = uow.conn.execute(insert(_addresses).returning(_addresses.c.id), {
        **values, "tenant_id": uow.tenant_id, "customer_id": customer_id, "is_default": False,
        "created_at": utcnow()}).scalar_one()
    if first or cmd.is_default:
        _make_default(uow, customer_id, address_id)
    add_event(uow, "customer.address_added.v1", {"customer_id": customer_id, "address_id": address_id,
                                                 "after": values})
    return address_id


def update_address(uow: UnitOfWork, customer_id: int, address_id: int, cmd: CustomerAddressIn) -> None:
    uow.require(ORDERS_PLACE)
    _address_row(uow, customer_id, address_id)
    values = cmd.model_dump(exclude={"is_default"})
    uow.conn.execute(update(_addresses).where(_addresses.c.id == address_id).values(**values))
    if cmd.is_default:
        _make_default(uow, customer_id, address_id)
    add_event(uow, "customer.address_updated.v1", {"customer_id": customer_id, "address_id": address_id,
                                                   "after": values})


def delete_address(uow: UnitOfWork, customer_id: int, address_id: int) -> None:
    """Removes the address; when it was the default, the oldest remaining one becomes the default."""
    uow.require(ORDERS_PLACE)
    _address_row(uow, customer_id, address_id)
    was_default = uow.conn.execute(select(_addresses.c.is_default).where(_addresses.c.id == address_id)).scalar()
    uow.conn.execute(_addresses.delete().where(_addresses.c.id == address_id))
    if was_default:
        oldest = uow.conn.execute(select(_addresses.c.id).where(
            _addresses.c.tenant_id == uow.tenant_id, _addresses.c.customer_id == customer_id)
            .order_by(_addresses.c.id).limit(1)).scalar()
        if oldest is not None:
            _make_default(uow, customer_id, oldest)
    add_event(uow, "customer.address_deleted.v1", {"customer_id": customer_id, "address_id": address_id})


def set_default_address(uow: UnitOfWork, customer_id: int, address_id: int) -> None:
    uow.require(ORDERS_PLACE)
    _address_row(uow, customer_id, address_id)
    _make_default(uow, customer_id, address_id)
    add_event(uow, "customer.default_address_set.v1", {"customer_id": customer_id, "address_id": address_id})

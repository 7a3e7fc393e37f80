"""A tenant's chart of accounts: created with the default chart when first needed, accounts added, renamed,
deactivated and reactivated by accounting.manage (each change audited through its event), and the check every
posting passes: only active accounts of the chart may be posted to.

The books (the currency stock postings are valued in) are created with the chart: the currency of the tenant's first
sales channel, else EUR.
"""

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from stockyard.billing import accounts_domain as ad
from stockyard.billing.journal_models import AccountingBook, LedgerAccount
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import ACCOUNTING_MANAGE, ACCOUNTING_VIEW
from stockyard.sales.models import Channel

_ACCOUNTS = LedgerAccount.__table__
_BOOKS = AccountingBook.__table__
_CHANNELS = Channel.__table__
DEFAULT_CURRENCY = "EUR"


@dataclass(frozen=True)
class Account:
    id: int
    code: str
    name: str
    type: str
    active: bool

    @property
    def posted_automatically(self) -> bool:
        return self.code in ad.POSTED_AUTOMATICALLY


def _insert(uow: UnitOfWork):  # noqa: ANN202 - the dialect's INSERT construct
    return pg_insert if uow.conn.dialect.name == "postgresql" else sqlite_insert


def ensure_chart(uow: UnitOfWork) -> None:
    """The tenant's books and default chart, when it has none yet (safe when two transactions race to create it)."""
    tenant = uow.tenant_id
    if uow.conn.execute(select(_BOOKS.c.id).where(_BOOKS.c.tenant_id == tenant)).first() is not None:
        return
    currency = uow.conn.execute(select(_CHANNELS.c.currency).where(_CHANNELS.c.tenant_id == tenant)
                                .order_by(_CHANNELS.c.id).limit(1)).scalar() or DEFAULT_CURRENCY
    now = utcnow()
    insert = _insert(uow)
    uow.conn.execute(insert(_BOOKS).values(tenant_id=tenant, currency=currency, created_at=now)
                     .on_conflict_do_nothing(index_elements=[_BOOKS.c.tenant_id]))
    uow.conn.execute(insert(_ACCOUNTS).on_conflict_do_nothing(index_elements=[_ACCOUNTS.c.tenant_id,
                                                                               _ACCOUNTS.c.code]),
                     [{"tenant_id": tenant, "code": s.code, "name": s.name, "type": s.type, "active": True,
                       "created_at": now} for s in ad.DEFAULT_CHART])


def book_currency(uow: UnitOfWork) -> str:
    ensure_chart(uow)
    return str(uow.conn.execute(select(_BOOKS.c.currency).where(_BOOKS.c.tenant_id == uow.tenant_id)).scalar_one())


def _accounts(uow: UnitOfWork) -> list[Account]:
    rows = uow.conn.execute(select(_ACCOUNTS.c.id, _ACCOUNTS.c.code, _ACCOUNTS.c.name, _ACCOUNTS.c.type,
                                   _ACCOUNTS.c.active)
                            .where(_ACCOUNTS.c.tenant_id == uow.tenant_id).order_by(_ACCOUNTS.c.code)).all()
    return [Account(r.id, r.code, r.name, r.type, r.active) for r in rows]


def chart(uow: UnitOfWork) -> dict[str, Account]:
    """Every account of the tenant's chart by code (the default chart is created first if there is none)."""
    ensure_chart(uow)
    return {a.code: a for a in _accounts(uow)}


@requires(ACCOUNTING_VIEW)
def list_accounts(uow: UnitOfWork) -> list[Account]:
    """The chart as it stands; a tenant that has never needed one sees the default chart it would get."""
    found = _accounts(uow)
    if found:
        return found
    return [Account(0, s.code, s.name, s.type, True) for s in ad.DEFAULT_CHART]


def check_postable(uow: UnitOfWork, codes: list[str]) -> None:
    """Refuses a posting to an account that is not in the chart or is inactive."""
    accounts = chart(uow)
    for code in codes:
        account = accounts.get(code)
        if account is None:
            raise ValidationFailed(f"account {code} is not in the chart of accounts", field="account")
        if not account.active:
            raise ValidationFailed(f"account {code} {account.name} is inactive; reactivate it to post to it",
                                   field="account")


# ---- changes (accounting.manage) -----------------------------------------------------------------------------------

class AccountIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    code: str = Field(max_length=16)
    name: str = Field(max_length=200)
    type: str


class AccountChange(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    active: bool | None = None


def _row(uow: UnitOfWork, code: str) -> Account:
    account = chart(uow).get(code.strip())
    if account is None:
        raise NotFound(f"no account {code} in the chart of accounts", field="code")
    return account


def _snapshot(account: Account) -> dict[str, object]:
    return {"code": account.code, "name": account.name, "type": account.type, "active": account.active}


def add_account(uow: UnitOfWork, cmd: AccountIn) -> int:
    uow.require(ACCOUNTING_MANAGE)
    code, name, type_ = ad.check_code(cmd.code), ad.check_name(cmd.name), ad.check_type(cmd.type)
    if code in chart(uow):
        raise Conflict(f"account {code} exists", field="code")
    account_id = int(uow.conn.execute(_ACCOUNTS.insert().values(
        tenant_id=uow.tenant_id, code=code, name=name, type=type_, active=True, created_at=utcnow())
        .returning(_ACCOUNTS.c.id)).scalar_one())
    add_event(uow, "account.created.v1", {"account_id": account_id, "after": {
        "code": code, "name": name, "type": type_, "active": True}})
    return account_id


def change_account(uow: UnitOfWork, code: str, cmd: AccountChange) -> Account:
    """Renames, deactivates or reactivates an account (its code and type stay: entries already name it)."""
    uow.require(ACCOUNTING_MANAGE)
    before = _row(uow, code)
    name = ad.check_name(cmd.name) if cmd.name is not None else before.name
    active = cmd.active if cmd.active is not None else before.active
    after = Account(before.id, before.code, name, before.type, active)
    if after == before:
        return before
    uow.conn.execute(update(_ACCOUNTS).where(_ACCOUNTS.c.tenant_id == uow.tenant_id, _ACCOUNTS.c.id == before.id)
                     .values(name=name, active=active))
    add_event(uow, "account.updated.v1", {"account_id": before.id, "before": _snapshot(before),
                                          "after": _snapshot(after)})
    return after

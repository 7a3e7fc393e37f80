"""The chart of accounts, without I/O: account types, the default chart a tenant starts with, and what makes a valid
account code and name.

The default chart holds every account the automatic postings use (billing/journal_domain.py) plus what a small
parts distributor needs besides: payables, equity, fixed assets, operating expenses.
"""

import re
from dataclasses import dataclass

from stockyard.billing import journal_domain as jd
from stockyard.core.errors import ValidationFailed

ASSET, LIABILITY, EQUITY, INCOME, EXPENSE = "asset", "liability", "equity", "income", "expense"
ACCOUNT_TYPES = (ASSET, LIABILITY, EQUITY, INCOME, EXPENSE)
# Types whose balance is normally a debit; the others normally carry a credit balance.
DEBIT_NORMAL = frozenset({ASSET, EXPENSE})

ACCOUNTS_PAYABLE = "2000"
SHARE_CAPITAL = "3000"
RETAINED_EARNINGS = "3100"
OPENING_BALANCE_EQUITY = "3900"


@dataclass(frozen=True)
class AccountSpec:
    code: str
    name: str
    type: str


def _spec(code: str, type_: str, name: str | None = None) -> AccountSpec:
    return AccountSpec(code, name or jd.ACCOUNT_NAMES[code], type_)


DEFAULT_CHART: tuple[AccountSpec, ...] = (
    _spec(jd.BANK_CLEARING, ASSET),
    _spec(jd.BANK, ASSET),
    _spec(jd.RECEIVABLES, ASSET),
    _spec(jd.INVENTORY, ASSET),
    _spec("1300", ASSET, "Prepaid expenses"),
    _spec("1500", ASSET, "Equipment and vehicles"),
    _spec("1510", ASSET, "Accumulated depreciation"),
    _spec(ACCOUNTS_PAYABLE, LIABILITY, "Accounts payable"),
    _spec(jd.GOODS_RECEIVED_NOT_INVOICED, LIABILITY),
    _spec(jd.TAX_PAYABLE, LIABILITY),
    _spec(jd.ACCRUED_LANDED_COSTS, LIABILITY),
    _spec("2400", LIABILITY, "Wages and payroll taxes payable"),
    _spec("2500", LIABILITY, "Loans"),
    _spec(SHARE_CAPITAL, EQUITY, "Share capital"),
    _spec(RETAINED_EARNINGS, EQUITY, "Retained earnings"),
    _spec(OPENING_BALANCE_EQUITY, EQUITY, "Opening balance equity"),
    _spec(jd.REVENUE, INCOME),
    _spec(jd.SHIPPING_INCOME, INCOME),
    _spec("4900", INCOME, "Other income"),
    _spec(jd.COGS, EXPENSE),
    _spec(jd.WRITE_OFFS, EXPENSE),
    _spec(jd.INVENTORY_ADJUSTMENTS, EXPENSE),
    _spec("5300", EXPENSE, "Freight in"),
    _spec("6000", EXPENSE, "Wages and salaries"),
    _spec(jd.PAYMENT_FEES, EXPENSE),
    _spec("6200", EXPENSE, "Rent and warehouse costs"),
    _spec("6300", EXPENSE, "Outbound shipping and carrier costs"),
    _spec("6900", EXPENSE, "Other operating expenses"),
)

# The accounts the automatic postings write to: deactivating one stops those postings until it is active again.
POSTED_AUTOMATICALLY = frozenset(jd.ACCOUNT_NAMES)

_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,15}$")
MAX_NAME = 120


def check_code(code: str) -> str:
    code = code.strip()
    if not _CODE.match(code):
        raise ValidationFailed("an account code is 1 to 16 letters, digits, dots or dashes, e.g. 6400", field="code")
    return code


def check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed("an account needs a name", field="name")
    if len(name) > MAX_NAME:
        raise ValidationFailed(f"at most {MAX_NAME} characters", field="name")
    return name


def check_type(type_: str) -> str:
    if type_ not in ACCOUNT_TYPES:
        raise ValidationFailed(f"one of {', '.join(ACCOUNT_TYPES)}", field="type")
    return type_

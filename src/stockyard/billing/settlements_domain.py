"""Gateway settlement reports, without I/O: reading the provider's CSV into settlements, checking every row, and the
journal entry a settlement posts.

The CSV has one row per balance line of the provider:

    settlement_id,date,payment_reference,type,gross,fee,net,currency
    ST-2026-12-01,2026-12-01,tg_3f9a...,charge,120.00,2.04,117.96,EUR
    ST-2026-12-01,2026-12-01,tg_77b1...,refund,-20.00,0.00,-20.00,EUR
    ST-2026-12-01,2026-12-01,,fee,0.00,5.00,-5.00,EUR
    ST-2026-12-01,2026-12-01,,payout,92.96,0.00,92.96,EUR

- charge: a captured payment paid in (gross > 0); refund: money given back (gross < 0); fee: a charge of the provider
  not tied to one payment (gross 0); payout: the transfer to the bank, which must equal the settlement's net total.
- On every row net = gross − fee, and the fee is not negative. A charge or refund names the payment's reference.
- A file may hold several settlements; all rows of one settlement share one currency.

The entry of a settlement: Dr Bank (the payout) + Dr Payment fees (the fees) / Cr Bank clearing (charges less refunds),
which empties the clearing account the captured payments filled. When refunds exceed charges the bank and clearing
sides swap.
"""

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from stockyard.billing import journal_domain as jd
from stockyard.billing.settlements_models import LINE_TYPES
from stockyard.core.csv_rows import CsvRow, RowProblems, read_csv

REQUIRED = ("settlement_id", "date", "payment_reference", "type", "gross", "fee", "net", "currency")
OPTIONAL = ("description",)
ZERO = Decimal(0)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class ParsedLine:
    line: int
    settled_on: date
    payment_reference: str
    type: str
    gross: Decimal
    fee: Decimal
    net: Decimal


@dataclass(frozen=True)
class ParsedSettlement:
    settlement_ref: str
    currency: str
    lines: tuple[ParsedLine, ...]

    @property
    def first_line(self) -> int:
        return self.lines[0].line

    @property
    def settled_on(self) -> date:
        return max(line.settled_on for line in self.lines)

    @property
    def gross(self) -> Decimal:
        """Charges less refunds: what the clearing account held for this settlement."""
        return sum((line.gross for line in self.lines if line.type in ("charge", "refund")), ZERO)

    @property
    def fees(self) -> Decimal:
        return sum((line.fee for line in self.lines), ZERO)

    @property
    def payout(self) -> Decimal:
        """What reaches the bank: the net of every line except the payout itself."""
        return sum((line.net for line in self.lines if line.type != "payout"), ZERO)

    @property
    def digest(self) -> str:
        """The same lines (in any order, on any line of a file) give the same digest."""
        rows = sorted(f"{x.settled_on}|{x.payment_reference}|{x.type}|{x.gross}|{x.fee}|{x.net}" for x in self.lines)
        return hashlib.sha256("\n".join([self.settlement_ref, self.currency, *rows]).encode()).hexdigest()


def _amount(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(" ", ""))
    except InvalidOperation:
        raise ValueError(f"must be an amount such as 12.50, not {text!r}" if text else "is required") from None
    if not value.is_finite():
        raise ValueError(f"must be an amount such as 12.50, not {text!r}")
    if value != value.quantize(CENT):
        raise ValueError("has more than 2 decimal places")
    if abs(value) >= Decimal("1e12"):
        raise ValueError("is too large")
    return value.quantize(CENT)


def _line(row: CsvRow, problems: RowProblems) -> tuple[str, str, ParsedLine] | None:
    """One row checked; its problems go to `problems` and None comes back."""
    before = len(problems.rows)
    ref = row.get("settlement_id")
    if not ref:
        problems.add(row.line, "settlement_id", "is required")
    elif len(ref) > 64:
        problems.add(row.line, "settlement_id", "is longer than 64 characters")
    settled_on = None
    try:
        settled_on = date.fromisoformat(row.get("date"))
    except ValueError:
        problems.add(row.line, "date", f"must be a date YYYY-MM-DD, not {row.get('date')!r}")
    kind = row.get("type").lower()
    if kind not in LINE_TYPES:
        problems.add(row.line, "type", f"must be one of {', '.join(LINE_TYPES)}, not {row.get('type')!r}")
    reference = row.get("payment_reference")
    if len(reference) > 100:
        problems.add(row.line, "payment_reference", "is longer than 100 characters")
    elif kind in ("charge", "refund") and not reference:
        problems.add(row.line, "payment_reference", f"is required on a {kind} line")
    currency = row.get("currency").upper()
    if len(currency) != 3 or not currency.isalpha():
        problems.add(row.line, "currency", f"must be a 3-letter currency code, not {row.get('currency')!r}")
    amounts: dict[str, Decimal] = {}
    for name in ("gross", "fee", "net"):
        try:
            amounts[name] = _amount(row.get(name))
        except ValueError as error:
            problems.add(row.line, name, str(error))
    if len(amounts) == 3:
        gross, fee, net = amounts["gross"], amounts["fee"], amounts["net"]
        if fee < 0:
            problems.add(row.line, "fee", "must not be negative")
        elif net != gross - fee:
            problems.add(row.line, "net", f"must be gross − fee = {gross - fee}, not {net}")
        elif kind == "charge" and gross <= 0:
            problems.add(row.line, "gross", "must be positive on a charge line")
        elif kind == "refund" and gross >= 0:
            problems.add(row.line, "gross", "must be negative on a refund line (money given back)")
        elif kind == "fee" and (gross != 0 or fee == 0):
            problems.add(row.line, "fee", "a fee line has gross 0 and a positive fee")
        elif kind == "payout" and fee != 0:
            problems.add(row.line, "fee", "a payout line has no fee")
    if len(problems.rows) > before or settled_on is None:
        return None
    return ref, currency, ParsedLine(row.line, settled_on, reference, kind, amounts["gross"], amounts["fee"],
                                     amounts["net"])


def parse_settlements(data: bytes) -> list[ParsedSettlement]:
    """Every settlement of the file, in the order they first appear; raises RowErrors listing every bad row (and
    nothing is to be imported then)."""
    problems = RowProblems()
    csv_file = read_csv(data, REQUIRED, OPTIONAL, problems)
    grouped: dict[str, tuple[str, list[ParsedLine]]] = {}
    for row in csv_file.rows:
        parsed = _line(row, problems)
        if parsed is None:
            continue
        ref, currency, line = parsed
        first_currency, lines = grouped.setdefault(ref, (currency, []))
        if currency != first_currency:
            problems.add(line.line, "currency", f"settlement {ref} is in {first_currency}; one settlement has one "
                                                "currency")
            continue
        lines.append(line)
    settlements = [ParsedSettlement(ref, currency, tuple(lines)) for ref, (currency, lines) in grouped.items()
                   if lines]
    for settlement in settlements:
        _check_payout(settlement, problems)
    problems.raise_if_any(csv_file.total)
    return settlements


def _check_payout(settlement: ParsedSettlement, problems: RowProblems) -> None:
    payouts = [line for line in settlement.lines if line.type == "payout"]
    if len(payouts) > 1:
        problems.add(payouts[1].line, "type", f"settlement {settlement.settlement_ref} has more than one payout line")
    elif payouts and payouts[0].net != settlement.payout:
        problems.add(payouts[0].line, "net", f"the payout {payouts[0].net} differs from the net total "
                                             f"{settlement.payout} of settlement {settlement.settlement_ref}'s lines")


def settlement_entry(settlement: ParsedSettlement) -> jd.Draft | None:
    """Dr Bank (payout) + Dr Payment fees / Cr Bank clearing (charges − refunds); None when everything is zero."""
    payout, fees, gross = settlement.payout, settlement.fees, settlement.gross
    debits: list[tuple[str, Decimal]] = [(jd.PAYMENT_FEES, fees)]
    credits: list[tuple[str, Decimal]] = []
    (debits if payout >= 0 else credits).append((jd.BANK, abs(payout)))
    (credits if gross >= 0 else debits).append((jd.BANK_CLEARING, abs(gross)))
    lines = [jd.Line(account, debit=amount) for account, amount in debits if amount != 0]
    lines += [jd.Line(account, credit=amount) for account, amount in credits if amount != 0]
    if not lines:
        return None
    jd.check_balanced(lines)
    memo = (f"gateway settlement {settlement.settlement_ref}: payout {payout}, fees {fees}, "
            f"charges less refunds {gross}")
    return jd.Draft("settlement", settlement.currency, tuple(lines), settlement.settlement_ref, memo)

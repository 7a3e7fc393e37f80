"""The journal (one row per journal line) and the trial balance as CSV, for an external accounting system."""

import csv
import io

from stockyard.billing.journal import JournalRow, TrialBalanceRow, TrialBalanceTotal
from stockyard.identity.audit import csv_safe

COLUMNS = ("date", "posted_at", "entry_id", "kind", "reference", "account", "account_name", "debit", "credit",
           "currency", "memo")


def journal_csv(rows: list[JournalRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow([r.posted_at.date().isoformat(), r.posted_at.isoformat(timespec="seconds"), r.entry_id,
                         r.kind, csv_safe(r.reference), r.account, r.account_name, f"{r.debit:.2f}",
                         f"{r.credit:.2f}", r.currency, csv_safe(r.memo)])
    return out.getvalue()


TRIAL_BALANCE_COLUMNS = ("account", "account_name", "type", "currency", "opening_balance", "debit", "credit",
                         "closing_balance")


def trial_balance_csv(rows: list[TrialBalanceRow], totals: list[TrialBalanceTotal]) -> str:
    """One row per account and currency (balances debit-positive), then one total row per currency."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TRIAL_BALANCE_COLUMNS)
    for r in rows:
        writer.writerow([r.account, csv_safe(r.name), r.type, r.currency, f"{r.opening:.2f}", f"{r.debit:.2f}",
                         f"{r.credit:.2f}", f"{r.closing:.2f}"])
    for t in totals:
        writer.writerow(["total", "", "", t.currency, f"{t.opening:.2f}", f"{t.debit:.2f}", f"{t.credit:.2f}",
                         f"{t.closing:.2f}"])
    return out.getvalue()

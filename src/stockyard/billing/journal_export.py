"""The journal as CSV for an external accounting system: one row per journal line."""

import csv
import io

from stockyard.billing.journal import JournalRow
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

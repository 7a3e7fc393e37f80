"""The tax summary block of invoices and credit notes: one row per rate (its name, the taxable base, the tax)."""

from collections.abc import Sequence

from stockyard.billing.tax_domain import TaxLine, percent
from stockyard.documents.pdf_layout import Document, money

COLUMNS = (("Tax summary", 80.0, "L"), ("Rate", 25.0, "R"), ("Taxable base", 42.0, "R"), ("Tax", 43.0, "R"))


def tax_summary(pdf: Document, lines: Sequence[TaxLine], currency: str) -> None:
    if lines:
        pdf.table(COLUMNS, [(t.name, f"{percent(t.rate)} %", money(t.base, currency), money(t.tax, currency))
                            for t in lines])

"""Operational analytics: KPI queries over the ledger and orders, and the charts that show them."""

"""Billing: payment methods now; payments, invoices and tax come later."""

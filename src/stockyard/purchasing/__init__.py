"""Purchasing: suppliers and purchase orders; receiving a purchase order posts stock receipts through inventory."""

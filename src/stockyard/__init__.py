"""Stockyard: ERP + ecommerce for warehouse-backed commerce."""

__version__ = "0.1.0"

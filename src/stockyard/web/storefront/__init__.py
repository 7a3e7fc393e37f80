"""The customer storefront at /: shop resolution by host, catalog pages."""

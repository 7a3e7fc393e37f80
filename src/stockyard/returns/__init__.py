"""Returns: return authorisations per order line, receipt into return_pending stock, inspection with a grade,
disposition per line, and the refund or exchange that settles them."""

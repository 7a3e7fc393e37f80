"""Documents: PDFs (invoice, receipt, ...) rendered from plain data, never from database rows."""

"""Where issued documents live in the file store (core/files.py: var/objects on disk, or S3), and the app's one
file store instance for the document pages and API."""

from typing import Any

from fastapi import Request

from stockyard.core.files import FileStore, file_store


def document_key(tenant_id: int, doc_type: str, number: str) -> str:
    """t<tenant>/documents/<type>/<number>.pdf: one file per issued document, never overwritten once committed."""
    return f"t{tenant_id}/documents/{doc_type}/{number}.pdf"


def app_store(app: Any) -> FileStore:
    """The application's file store (one per app, made from its settings on first use)."""
    store = getattr(app.state, "file_store", None)
    if store is None:
        store = file_store(app.state.settings)
        app.state.file_store = store
    return store


def store_for(request: Request) -> FileStore:
    return app_store(request.app)

"""Admin pages of the audit log at /admin/audit: the filtered list, one entry with its changes, and the CSV export
of exactly the filtered rows (streamed, read in short chunks). Reading needs audit.view; nobody can edit it."""

import csv
import io
from collections.abc import Iterator
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import ValidationError
from sqlalchemy import Engine

from stockyard.core.actor import Actor
from stockyard.core.clock import utcnow
from stockyard.core.errors import NotFound, ValidationFailed
from stockyard.core.uow import read
from stockyard.identity import audit
from stockyard.web.admin import ADMIN_SECTIONS, admin_page, admin_router
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import field_errors, given

ADMIN_SECTIONS.append(("audit", "/admin/audit", "Audit log"))
router = admin_router("/audit")

FILTER_FIELDS = tuple(audit.AuditFilter.model_fields)


def _filter(request: Request) -> audit.AuditFilter:
    return audit.AuditFilter(**given(request.query_params, *FILTER_FIELDS))


@router.get("", response_class=HTMLResponse)
def audit_list(request: Request, engine: EngineDep, actor: PageActor,
               page_no: int = Query(default=1, ge=1, alias="page")) -> Response:
    form = dict(request.query_params)
    context = {"section": "audit", "form": form, "choices": read(engine, actor, audit.audit_choices)}
    try:
        chosen = _filter(request)
    except ValidationError as error:
        errors, status = field_errors(error, set(FILTER_FIELDS))
        return admin_page(request, actor, "admin/audit/list.html", status, errors=errors, result=None,
                          export_query="", **context)
    result = read(engine, actor, audit.search_audit, chosen, page_no)
    export_query = urlencode({k: v for k, v in form.items() if k != "page"})
    return admin_page(request, actor, "admin/audit/list.html", result=result, export_query=export_query, **context)


@router.get("/export.csv")
def audit_export(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    try:
        chosen = _filter(request)
    except ValidationError as error:
        errors, _ = field_errors(error, set(FILTER_FIELDS))
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), field="filter") from None
    # The first chunk is read before the response starts, so a refusal is an error page, not a broken download.
    first = read(engine, actor, audit.export_chunk, chosen, None)
    filename = f"audit-{utcnow():%Y%m%d-%H%M%S}.csv"
    return StreamingResponse(_csv(engine, actor, chosen, first), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _csv(engine: Engine, actor: Actor, chosen: audit.AuditFilter, first: list[audit.AuditEntry]) -> Iterator[str]:
    def chunks() -> Iterator[list[audit.AuditEntry]]:
        chunk = first
        while chunk:
            yield chunk
            chunk = read(engine, actor, audit.export_chunk, chosen, (chunk[-1].created_at, chunk[-1].id))

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    pending = 0
    for row in audit.export_rows(chunks()):
        writer.writerow(row)
        pending += 1
        if pending >= 200:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()


@router.get("/{entry_id}", response_class=HTMLResponse)
def audit_detail(entry_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    entry = read(engine, actor, audit.audit_entry, entry_id)
    if entry is None:
        raise NotFound(f"no audit entry {entry_id}", field="entry_id")
    return admin_page(request, actor, "admin/audit/detail.html", section="audit", entry=entry,
                      changes=audit.differences(entry.before, entry.after))

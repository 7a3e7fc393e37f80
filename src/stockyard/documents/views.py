"""Back-office pages for documents and labels (/erp/documents, /erp/labels). Thin: build the request, call the
service, answer with the page or the file.

- POST /erp/documents/issue (doc_type, subject_id, again): prints the object's document of that type (the stored
  one, or a newly issued one) and redirects to its PDF. What cannot be printed yet ("no invoice yet") goes back to
  the object's documents page with the reason.
- GET /erp/documents/{id}.pdf: the stored file (a re-print is the same file).
- GET /erp/documents/for/{subject_type}/{subject_id}: the object's documents with print, issue-again and e-mail
  buttons; GET /erp/documents: the latest documents (of one type with ?doc_type=).
- POST /erp/documents/{id}/email: e-mails an invoice, credit note or delivery note to the customer, PDF attached.
- GET /erp/labels: the label print form (SKUs found by ?q=, a warehouse's locations, a parcel, typed values);
  POST /erp/labels/print: the labels as PDF or ZPL (a form error shows the form again).
"""

from functools import partial
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import Engine

from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.documents import services
from stockyard.documents.kinds import KINDS, kind_of
from stockyard.documents.labels_layout import LAYOUTS
from stockyard.documents.labels_sources import FORMATS, WHAT, LabelRequest, make_labels, search_skus
from stockyard.documents.mailing import MAILABLE, mail_document
from stockyard.documents.store import store_for
from stockyard.inventory.queries import list_warehouses
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, field_errors, flash, page, page_route, run, see_other

INPUT_ERRORS = (ValidationError, ValidationFailed, NotFound, Conflict)
router = APIRouter(prefix="/erp", include_in_schema=False, route_class=page_route("erp/error.html"))


def subject_url(subject_type: str, subject_id: int, subject_ref: str) -> str:
    """The page of the object a document belongs to."""
    return {"order": f"/admin/orders/{subject_ref}", "return": f"/admin/returns/{subject_id}",
            "purchase_order": f"/erp/purchasing/orders/{subject_id}", "transfer": f"/erp/transfers/{subject_id}",
            "count": f"/erp/counts/{subject_id}"}.get(subject_type, "/erp/documents")


def list_url(subject_type: str, subject_id: int) -> str:
    return f"/erp/documents/for/{subject_type}/{subject_id}"


def pdf_response(content: bytes, filename: str) -> Response:
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


def _subject_id(value: object) -> int:
    text = str(value or "").strip()
    if not text.isdigit():
        raise ValidationFailed("must be the id of the object the document belongs to", field="subject_id")
    return int(text)


@router.post("/documents/issue")
async def issue(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    kind = kind_of(str(form.get("doc_type", "")))
    subject_id = _subject_id(form.get("subject_id"))
    again = str(form.get("again", "")) in ("1", "true", "on")
    try:
        ref = await run(partial(perform, engine, actor, services.issue_document, store_for(request),
                                kind.doc_type.value, subject_id, again=again))
    except Conflict as error:  # nothing to print yet: the object's documents page says why
        flash(request, error.message, "error")
        return see_other(list_url(kind.subject.value, subject_id))
    if again:
        flash(request, f"{ref.title} issued")
        return see_other(list_url(ref.subject_type, ref.subject_id))
    return see_other(ref.url)


@router.get("/documents/{document_id}.pdf")
def download(document_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    ref, data = read(engine, actor, services.document_file, store_for(request), document_id)
    return pdf_response(data, ref.filename)


@router.get("/documents", response_class=HTMLResponse)
def documents(request: Request, engine: EngineDep, actor: PageActor, doc_type: str = "") -> Response:
    return page(request, actor, "erp/documents/list.html", section="documents", doc_type=doc_type,
                docs=read(engine, actor, services.recent_documents, doc_type), kinds=list(KINDS.values()),
                mailable={k.value for k in MAILABLE}, subject=None, back="")


@router.get("/documents/for/{subject_type}/{subject_id}", response_class=HTMLResponse)
def subject_documents(subject_type: str, subject_id: int, request: Request, engine: EngineDep,
                      actor: PageActor) -> Response:
    found = read(engine, actor, services.documents_for, subject_type, subject_id)
    return page(request, actor, "erp/documents/list.html", section="documents", doc_type="", docs=found.documents,
                kinds=list(KINDS.values()), mailable={k.value for k in MAILABLE}, subject=found,
                back=subject_url(found.subject_type, found.subject_id, found.subject_ref))


@router.post("/documents/{document_id}/email")
async def email(document_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    await check_csrf(request)
    ref = await run(read, engine, actor, services.get_document, document_id)
    try:
        to = await run(mail_document, engine, actor, request.app.state.settings, store_for(request), document_id)
    except (Conflict, NotFound) as error:
        flash(request, error.message, "error")
    else:
        flash(request, f"{ref.title} sent to {to}")
    return see_other(list_url(ref.subject_type, ref.subject_id))


# ---- labels ---------------------------------------------------------------------------------------------------

@router.get("/labels", response_class=HTMLResponse)
def labels(request: Request, engine: EngineDep, actor: PageActor, q: str = "",
           what: str = Query(default="skus", pattern="^(skus|locations|parcel|values)$")) -> Response:
    return labels_page(request, engine, actor, what, q)


def labels_page(request: Request, engine: Engine, actor: Actor, what: str, q: str = "",
                form: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                status_code: int = 200) -> HTMLResponse:
    found = read(engine, actor, search_skus, q) if what == "skus" else []
    return page(request, actor, "erp/labels.html", status_code, section="labels", q=q, what=what, found=found,
                layouts=list(LAYOUTS.values()), warehouses=read(engine, actor, list_warehouses), whats=WHAT,
                formats=FORMATS, form=form or {}, errors=errors or {})


def _codes(values: list[str]) -> list[str]:
    """SKU codes from ticked boxes and a text field (one per line, or separated by commas or spaces)."""
    return [part for value in values for part in value.replace(",", " ").split() if part]


def _int(form: dict[str, Any], name: str, default: int | None = None) -> int | None:
    text = str(form.get(name, "") or "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise ValidationFailed("must be a whole number", field=name)
    return int(text)


@router.post("/labels/print")
async def labels_print(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    raw = await request.form()
    await check_csrf(request)
    form = {k: v for k, v in raw.multi_items() if k != "csrf_token"}
    what = str(form.get("what", "skus"))
    try:
        req = LabelRequest(
            what=what, symbology=str(form.get("symbology", "code128")), layout=str(form.get("layout", "a4-3x8")),
            format=str(form.get("format", "pdf")), quantity=_int(form, "quantity", 1) or 1,
            skip=_int(form, "skip", 0) or 0,
            skus=_codes([str(v) for v in raw.getlist("skus")] + [str(form.get("sku_codes", ""))]),
            warehouse_id=_int(form, "warehouse_id"), under=str(form.get("under", "")),
            shipment_id=_int(form, "shipment_id"),
            values=[v for v in str(form.get("values", "")).splitlines() if v.strip()])
        rendered = await run(read, engine, actor, make_labels, req)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, {"skus", "sku_codes", "symbology", "layout", "format", "quantity",
                                              "skip", "warehouse", "under", "shipment", "values"})
        if what not in WHAT:
            what = "skus"
        return await run(labels_page, request, engine, actor, what, "", form, errors, status)
    disposition = "inline" if rendered.content_type == "application/pdf" else "attachment"
    return Response(rendered.content, media_type=rendered.content_type,
                    headers={"Content-Disposition": f'{disposition}; filename="{rendered.filename}"'})

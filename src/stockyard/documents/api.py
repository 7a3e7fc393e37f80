"""Documents and labels JSON API (/api/v1/documents, /api/v1/labels).

- POST /api/v1/documents {doc_type, subject_id, again}: the object's document (stored or newly issued), as JSON.
- GET /api/v1/documents/for/{subject_type}/{subject_id}: the object's documents; GET /api/v1/documents: the
  latest (?doc_type=); GET /api/v1/documents/{id}: one; GET /api/v1/documents/{id}.pdf: its stored PDF.
- POST /api/v1/labels {what, symbology, layout, format, quantity, skus | warehouse_id [, under] | shipment_id |
  values}: the labels as application/pdf or as ZPL (text/plain). GET /api/v1/labels/layouts lists the layouts.
"""

from typing import Any, Literal

from fastapi import APIRouter, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from stockyard.core.uow import perform, read
from stockyard.documents import services
from stockyard.documents.barcodes import Symbology
from stockyard.documents.kinds import DocType
from stockyard.documents.labels_layout import LAYOUTS, MAX_LABELS
from stockyard.documents.labels_sources import LabelRequest, make_labels
from stockyard.documents.store import store_for
from stockyard.web.deps import ApiActor, EngineDep

router = APIRouter(tags=["documents"])


class IssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc_type: DocType
    subject_id: int = Field(gt=0)
    again: bool = False


@router.post("/documents", status_code=status.HTTP_201_CREATED)
def issue(body: IssueIn, request: Request, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    ref = perform(engine, actor, services.issue_document, store_for(request), body.doc_type.value, body.subject_id,
                  again=body.again)
    return ref.as_json()


@router.get("/documents")
def documents(engine: EngineDep, actor: ApiActor, doc_type: str = "") -> dict[str, Any]:
    return {"items": [d.as_json() for d in read(engine, actor, services.recent_documents, doc_type)]}


@router.get("/documents/for/{subject_type}/{subject_id}")
def subject_documents(subject_type: str, subject_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    found = read(engine, actor, services.documents_for, subject_type, subject_id)
    return {"subject_type": found.subject_type, "subject_id": found.subject_id, "subject_ref": found.subject_ref,
            "printable": [k.doc_type.value for k in found.printable],
            "items": [d.as_json() for d in found.documents]}


@router.get("/documents/{document_id}.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "the stored PDF"}})
def document_pdf(document_id: int, request: Request, engine: EngineDep, actor: ApiActor) -> Response:
    ref, data = read(engine, actor, services.document_file, store_for(request), document_id)
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{ref.filename}"'})


@router.get("/documents/{document_id}")
def document(document_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return read(engine, actor, services.get_document, document_id).as_json()


class LabelsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    what: Literal["skus", "locations", "parcel", "values"]
    symbology: Symbology = Symbology.CODE128
    layout: str = "a4-3x8"
    format: Literal["pdf", "zpl"] = "pdf"
    quantity: int = Field(default=1, ge=1, le=MAX_LABELS)
    skip: int = Field(default=0, ge=0, le=23)
    skus: list[str] = Field(default_factory=list, max_length=MAX_LABELS)
    warehouse_id: int | None = Field(default=None, gt=0)
    under: str = Field(default="", max_length=200)
    shipment_id: int | None = Field(default=None, gt=0)
    values: list[str] = Field(default_factory=list, max_length=MAX_LABELS)


@router.post("/labels", response_class=Response, responses={200: {
    "content": {"application/pdf": {}, "text/plain": {}}, "description": "the labels as a PDF or a ZPL job"}})
def labels(body: LabelsIn, engine: EngineDep, actor: ApiActor) -> Response:
    rendered = read(engine, actor, make_labels, LabelRequest(
        what=body.what, symbology=body.symbology.value, layout=body.layout, format=body.format,
        quantity=body.quantity, skus=body.skus, warehouse_id=body.warehouse_id, under=body.under,
        shipment_id=body.shipment_id, values=body.values, skip=body.skip))
    return Response(rendered.content, media_type=rendered.content_type,
                    headers={"Content-Disposition": f'inline; filename="{rendered.filename}"',
                             "X-Label-Count": str(rendered.count)})


@router.get("/labels/layouts")
def layouts(actor: ApiActor) -> dict[str, Any]:
    return {"items": [{"key": lay.key, "label": lay.label, "width_mm": lay.label_w, "height_mm": lay.label_h,
                       "per_page": lay.per_page} for lay in LAYOUTS.values()]}

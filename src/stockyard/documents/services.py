"""Issuing documents: number, render, store, record — in one transaction.

`issue_document(uow, store, doc_type, subject_id, again=False)`:
- takes the next number of the tenant's counter for `doc_type` (document_numbers; the upsert keeps the row locked
  until the transaction ends, so concurrent issuers queue and numbers stay gapless per tenant and type);
- without `again`, an object that has a document of this type already gets that one back (the counter is stepped
  back under the same lock, so nothing is skipped): printing twice serves the same stored file;
- with `again` (only for the types that allow it, see kinds.py) a new document with a new number is made from the
  object as it is now;
- renders the PDF from the object's data (sources.py), puts it in the file store under
  t<tenant>/documents/<type>/<number>.pdf and records the row (tenant, type, number, object, file key, actor, time)
  with a `document.issued.v1` event.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.files import FileStore
from stockyard.core.numbering import next_value
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.documents.kinds import FOR_SUBJECT, KINDS, DocType, Kind, Subject, kind_of
from stockyard.documents.models import DocumentNumber, IssuedDocument
from stockyard.documents.sources import SOURCES, subject_ref
from stockyard.documents.store import document_key

_DOCS = IssuedDocument.__table__
_NUMBERS = DocumentNumber.__table__
CONTENT_TYPE = "application/pdf"


@dataclass(frozen=True)
class DocumentRef:
    id: int
    doc_type: str
    number: str
    subject_type: str
    subject_id: int
    subject_ref: str
    file_key: str
    size_bytes: int
    created_at: datetime
    actor_name: str

    @property
    def kind(self) -> Kind:
        return KINDS[DocType(self.doc_type)]

    @property
    def title(self) -> str:
        return f"{self.kind.title} {self.number}"

    @property
    def url(self) -> str:
        return f"/erp/documents/{self.id}.pdf"

    @property
    def filename(self) -> str:
        return f"{self.doc_type.replace('_', '-')}-{self.number}.pdf"

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.doc_type, "title": self.title, "number": self.number,
                "subject_type": self.subject_type, "subject_id": self.subject_id, "subject_ref": self.subject_ref,
                "size_bytes": self.size_bytes, "created_at": self.created_at.isoformat(),
                "actor": self.actor_name, "url": self.url, "api_url": f"/api/v1/documents/{self.id}.pdf"}


def _ref(row: Any) -> DocumentRef:
    return DocumentRef(row.id, row.doc_type, row.number, row.subject_type, row.subject_id, row.subject_ref,
                       row.file_key, row.size_bytes, row.created_at, row.actor_name)


def _latest(uow: UnitOfWork, doc_type: DocType, subject_id: int) -> DocumentRef | None:
    row = uow.conn.execute(select(_DOCS).where(_DOCS.c.tenant_id == uow.tenant_id, _DOCS.c.doc_type == doc_type.value,
                                               _DOCS.c.subject_id == subject_id)
                           .order_by(_DOCS.c.id.desc()).limit(1)).first()
    return None if row is None else _ref(row)


def _check_subject_id(subject_id: object) -> int:
    if not isinstance(subject_id, int) or isinstance(subject_id, bool) or subject_id <= 0:
        raise ValidationFailed("must be the id of the object the document belongs to", field="subject_id")
    return subject_id


def issue_document(uow: UnitOfWork, store: FileStore, doc_type: str, subject_id: int, *,
                   again: bool = False) -> DocumentRef:
    """The object's document of this type: the stored one, or a newly issued one (see the module's docstring)."""
    kind = kind_of(doc_type)
    actor = uow.require(kind.permission)
    subject_id = _check_subject_id(subject_id)
    if again and not kind.reissuable:
        raise Conflict(f"a {kind.title.lower()} is issued once; print the stored one", field="doc_type")
    sequence = next_value(uow, _NUMBERS, doc_type=kind.doc_type.value)
    existing = _latest(uow, kind.doc_type, subject_id)
    if existing is not None and not again:
        uow.conn.execute(update(_NUMBERS).where(_NUMBERS.c.tenant_id == uow.tenant_id,
                                                _NUMBERS.c.doc_type == kind.doc_type.value)
                         .values(last=_NUMBERS.c.last - 1))
        return existing
    draft = SOURCES[kind.doc_type](uow, subject_id)
    if kind.prefix is not None:
        number = f"{kind.prefix}-{sequence:06d}"
    else:
        if draft.own_number is None:
            raise RuntimeError(f"the {kind.doc_type} source gave no number")
        earlier = uow.conn.execute(select(func.count()).select_from(_DOCS).where(
            _DOCS.c.tenant_id == uow.tenant_id, _DOCS.c.doc_type == kind.doc_type.value,
            _DOCS.c.subject_id == subject_id)).scalar_one()
        number = draft.own_number if earlier == 0 else f"{draft.own_number}-{earlier + 1}"
    pdf = draft.render(number)
    key = document_key(uow.tenant_id, kind.doc_type.value, number)
    store.put(key, pdf, CONTENT_TYPE)
    now = utcnow()
    row = uow.conn.execute(_DOCS.insert().values(
        tenant_id=uow.tenant_id, doc_type=kind.doc_type.value, number=number, subject_type=kind.subject.value,
        subject_id=subject_id, subject_ref=draft.subject_ref[:64], file_key=key, size_bytes=len(pdf),
        created_at=now, actor_id=actor.user_id, actor_name=actor.name[:200]).returning(*_DOCS.c)).one()
    add_event(uow, "document.issued.v1", {"document_id": row.id, "type": kind.doc_type.value, "number": number,
                                          "subject_type": kind.subject.value, "subject_id": subject_id,
                                          "subject_ref": draft.subject_ref})
    return _ref(row)


# ---- read models ----------------------------------------------------------------------------------------------

def get_document(uow: UnitOfWork, document_id: int) -> DocumentRef:
    """One issued document (NotFound for another tenant's; PermissionDenied without its type's permission)."""
    row = uow.conn.execute(select(_DOCS).where(_DOCS.c.tenant_id == uow.tenant_id,
                                               _DOCS.c.id == document_id)).first()
    if row is None:
        raise NotFound(f"unknown document {document_id}", field="document_id")
    ref = _ref(row)
    uow.require(ref.kind.permission)
    return ref


def document_file(uow: UnitOfWork, store: FileStore, document_id: int) -> tuple[DocumentRef, bytes]:
    """The stored PDF, byte for byte as it was issued."""
    ref = get_document(uow, document_id)
    try:
        return ref, store.get(ref.file_key)
    except FileNotFoundError:
        raise NotFound(f"the file of {ref.title} is missing from the file store", field="document_id") from None


def _subject(subject_type: str) -> Subject:
    try:
        return Subject(subject_type)
    except ValueError:
        raise ValidationFailed(f"unknown subject {subject_type!r}; choose one of {', '.join(Subject)}",
                               field="subject_type") from None


@dataclass(frozen=True)
class SubjectDocuments:
    subject_type: str
    subject_id: int
    subject_ref: str
    documents: list[DocumentRef]
    printable: list[Kind]  # the types the actor may print (and see) for it


def documents_for(uow: UnitOfWork, subject_type: str, subject_id: int) -> SubjectDocuments:
    """The documents issued for one object, newest first (NotFound for an object the tenant does not have)."""
    subject = _subject(subject_type)
    kinds = [k for k in FOR_SUBJECT[subject] if uow.actor is not None and uow.actor.can(k.permission)]
    if not kinds:  # the permission of the object's first kind names what is missing
        uow.require(FOR_SUBJECT[subject][0].permission)
    ref = subject_ref(uow, subject, subject_id)
    rows = uow.conn.execute(select(_DOCS).where(
        _DOCS.c.tenant_id == uow.tenant_id, _DOCS.c.subject_type == subject.value, _DOCS.c.subject_id == subject_id,
        _DOCS.c.doc_type.in_([k.doc_type.value for k in kinds])).order_by(_DOCS.c.id.desc()))
    return SubjectDocuments(subject.value, subject_id, ref, [_ref(r) for r in rows], kinds)


def recent_documents(uow: UnitOfWork, doc_type: str = "", limit: int = 100) -> list[DocumentRef]:
    """The latest documents of the types the actor may see (optionally of one type)."""
    visible = [k.doc_type.value for k in KINDS.values() if uow.actor is not None and uow.actor.can(k.permission)]
    if doc_type:
        kind = kind_of(doc_type)
        visible = [v for v in visible if v == kind.doc_type.value]
    if not visible:
        return []
    rows = uow.conn.execute(select(_DOCS).where(_DOCS.c.tenant_id == uow.tenant_id, _DOCS.c.doc_type.in_(visible))
                            .order_by(_DOCS.c.id.desc()).limit(limit))
    return [_ref(r) for r in rows]

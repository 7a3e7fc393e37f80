"""E-mailing an issued document to the customer it concerns, with the stored PDF attached: the invoice and the
delivery note of an order (to the order's e-mail address), the credit note of a return (to the return's).

The mail is sent after the read transaction (no e-mail from inside a write); sending is recorded as a
`document.mailed.v1` event so that the order's history can show it.
"""

from sqlalchemy import Engine

from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict
from stockyard.core.files import FileStore
from stockyard.core.mail import Attachment, send_mail
from stockyard.core.outbox import add_event
from stockyard.core.settings import Settings
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.documents.kinds import DocType
from stockyard.documents.services import DocumentRef, document_file
from stockyard.returns.queries import return_detail
from stockyard.sales.queries import order_detail

MAILABLE = frozenset({DocType.INVOICE, DocType.CREDIT_NOTE, DocType.DELIVERY_NOTE})


def _recipient(uow: UnitOfWork, ref: DocumentRef) -> tuple[str, str]:
    """(e-mail address, the shop's name) for the document's customer."""
    if ref.doc_type == DocType.CREDIT_NOTE:
        ret = return_detail(uow, ref.subject_id)
        order = order_detail(uow, ret.order_id)
        return ret.email or order.email, order.channel_name
    order = order_detail(uow, ref.subject_id)
    return order.email, order.channel_name


def _prepare(uow: UnitOfWork, store: FileStore, document_id: int) -> tuple[DocumentRef, bytes, str, str]:
    ref, data = document_file(uow, store, document_id)
    if ref.doc_type not in MAILABLE:
        raise Conflict(f"a {ref.kind.title.lower()} is not sent to customers", field="document_id")
    email, shop = _recipient(uow, ref)
    if not email:
        raise Conflict(f"{ref.subject_ref} has no e-mail address to send {ref.title} to", field="document_id")
    return ref, data, email, shop


def _record(uow: UnitOfWork, ref: DocumentRef, email: str) -> None:
    uow.require(ref.kind.permission)
    add_event(uow, "document.mailed.v1", {"document_id": ref.id, "type": ref.doc_type, "number": ref.number,
                                          "subject_type": ref.subject_type, "subject_id": ref.subject_id,
                                          "to": email})


def mail_document(engine: Engine, actor: Actor, settings: Settings, store: FileStore, document_id: int) -> str:
    """Sends the document to its customer with the PDF attached; returns the address it went to."""
    ref, data, email, shop = read(engine, actor, _prepare, store, document_id)
    body = (f"Hello,\n\nplease find attached the {ref.kind.title.lower()} {ref.number} for {ref.subject_ref}.\n\n"
            f"Kind regards,\n{shop or 'Stockyard'}\n")
    send_mail(settings, to=email, subject=f"{ref.title} ({ref.subject_ref})" + (f" from {shop}" if shop else ""),
              body=body, tenant_id=actor.tenant_id, attachments=[Attachment(ref.filename, data)])
    perform(engine, actor, _record, ref, email)
    return email

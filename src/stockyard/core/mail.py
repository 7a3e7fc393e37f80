"""Outgoing e-mail: SMTP when STOCKYARD_SMTP_HOST is set, otherwise one .eml file per message in var/mail/.

The files are what the development mailbox page (/admin/dev/mail) lists. A message may carry the tenant it
belongs to in the X-Stockyard-Tenant header, so that the page shows each tenant only its own mail.
"""

import smtplib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, make_msgid, parsedate_to_datetime
from pathlib import Path
from typing import Protocol

from stockyard.core.clock import utcnow
from stockyard.core.settings import Settings

TENANT_HEADER = "X-Stockyard-Tenant"


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int
    username: str
    password: str
    starttls: bool

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)


@dataclass(frozen=True)
class FileMailer:
    directory: Path

    def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
        partial = self.directory / f".{name}.part"
        partial.write_bytes(message.as_bytes(policy=policy.SMTP))
        partial.rename(self.directory / name)  # readers never see a half-written file


def mail_dir(settings: Settings) -> Path:
    return settings.var_dir / "mail"


def mailer_for(settings: Settings) -> Mailer:
    if settings.smtp_host:
        return SmtpMailer(settings.smtp_host, settings.smtp_port, settings.smtp_username, settings.smtp_password,
                          settings.smtp_starttls)
    return FileMailer(mail_dir(settings))


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str = "application/pdf"


def compose(settings: Settings, *, to: str, subject: str, body: str, tenant_id: int | None = None,
            attachments: Sequence[Attachment] = ()) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="stockyard")
    if tenant_id is not None:
        message[TENANT_HEADER] = str(tenant_id)
    message.set_content(body)
    for item in attachments:
        maintype, _, subtype = item.content_type.partition(";")[0].partition("/")
        message.add_attachment(item.content, maintype=maintype, subtype=subtype, filename=item.filename)
    return message


def send_mail(settings: Settings, *, to: str, subject: str, body: str, tenant_id: int | None = None,
              attachments: Sequence[Attachment] = ()) -> None:
    mailer_for(settings).send(compose(settings, to=to, subject=subject, body=body, tenant_id=tenant_id,
                                      attachments=attachments))


@dataclass(frozen=True)
class StoredMail:
    name: str
    to: str
    subject: str
    sent_at: datetime | None
    body: str


def _parse(path: Path) -> tuple[StoredMail, str]:
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    part = message.get_body(preferencelist=("plain",))
    body = part.get_content() if part is not None else ""
    date = message["Date"]
    sent_at = parsedate_to_datetime(str(date)) if date else None
    return StoredMail(path.name, str(message["To"] or ""), str(message["Subject"] or ""), sent_at, body), str(
        message[TENANT_HEADER] or "")


def stored_mail(directory: Path, tenant_id: int) -> list[StoredMail]:
    """The messages written for this tenant, newest first."""
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.glob("*.eml"), reverse=True):
        mail, tenant = _parse(path)
        if tenant == str(tenant_id):
            found.append(mail)
    return found


def stored_message(directory: Path, tenant_id: int, name: str) -> StoredMail | None:
    """One message by file name; None when there is no such message of this tenant."""
    if "/" in name or "\\" in name or not name.endswith(".eml") or name.startswith("."):
        return None
    path = directory / name
    if not path.is_file():
        return None
    mail, tenant = _parse(path)
    return mail if tenant == str(tenant_id) else None

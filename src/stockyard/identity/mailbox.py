"""The development mailbox: the messages written to var/mail/ for the actor's tenant.

They include password-reset links, so only user managers (owner, administrator) may read them.
"""

from pathlib import Path

from stockyard.core.errors import NotFound
from stockyard.core.mail import StoredMail, stored_mail, stored_message
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import USERS_MANAGE


@requires(USERS_MANAGE)
def mailbox(uow: UnitOfWork, directory: Path) -> list[StoredMail]:
    return stored_mail(directory, uow.tenant_id)


@requires(USERS_MANAGE)
def mailbox_message(uow: UnitOfWork, directory: Path, name: str) -> StoredMail:
    found = stored_message(directory, uow.tenant_id, name)
    if found is None:
        raise NotFound(f"no message '{name}'", field="name")
    return found

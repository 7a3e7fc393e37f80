"""/admin/dev/mail: the mail the embedded profile wrote to var/mail/ instead of sending it."""

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from stockyard.core.mail import mail_dir
from stockyard.core.uow import read
from stockyard.identity.mailbox import mailbox, mailbox_message
from stockyard.web.admin import ADMIN_SECTIONS, admin_page, admin_router
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import run

router = admin_router("/dev")
ADMIN_SECTIONS.append(("dev-mail", "/admin/dev/mail", "Mail (dev)"))


@router.get("/mail", response_class=HTMLResponse)
async def mail_list(request: Request, actor: PageActor, engine: EngineDep) -> Response:
    settings = request.app.state.settings
    messages = await run(read, engine, actor, mailbox, mail_dir(settings))
    return admin_page(request, actor, "admin/dev/mail_list.html", section="dev-mail", messages=messages,
                      smtp_host=settings.smtp_host)


@router.get("/mail/{name}", response_class=HTMLResponse)
async def mail_detail(request: Request, name: str, actor: PageActor, engine: EngineDep) -> Response:
    message = await run(read, engine, actor, mailbox_message, mail_dir(request.app.state.settings), name)
    return admin_page(request, actor, "admin/dev/mail_detail.html", section="dev-mail", message=message)

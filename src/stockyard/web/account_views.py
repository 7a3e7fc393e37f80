"""/account/security: a signed-in user's own password and two-step sign-in (TOTP)."""

import io

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from stockyard.core.errors import DomainError, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.identity.passwords import change_password
from stockyard.identity.totp import confirm_totp, disable_totp, start_totp_setup, totp_status
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, field_errors, flash, page, page_route, run, see_other
from stockyard.web.session_middleware import current_session_hash

router = APIRouter(prefix="/account", include_in_schema=False, route_class=page_route("account/error.html"))
PAGE = "/account/security"


def qr_svg(data: str) -> str:
    """An inline SVG QR code (drawn by the qrcode package, no image library needed)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg"):]  # without the XML declaration, for inline use


async def _security_page(request: Request, actor: PageActor, engine: EngineDep, status_code: int = 200,
                         **context: object) -> Response:
    status = await run(read, engine, actor, totp_status)
    qr = qr_svg(status.uri) if status.uri else None
    return page(request, actor, "account/security.html", status_code, totp=status, qr=qr, **context)


@router.get("/security", response_class=HTMLResponse)
async def security(request: Request, actor: PageActor, engine: EngineDep) -> Response:
    return await _security_page(request, actor, engine)


@router.post("/security/password")
async def password(request: Request, actor: PageActor, engine: EngineDep) -> Response:
    form = await check_csrf(request)
    current, new, again = (str(form.get(k, "")) for k in ("current_password", "new_password", "new_password_again"))
    try:
        if new != again:
            raise ValidationFailed("the two new passwords differ", field="new_password_again")
        await run(lambda: perform(engine, actor, change_password, current_password=current, new_password=new,
                                  keep_session_hash=current_session_hash(request)))
    except DomainError as error:
        errors, status = field_errors(error, {"current_password", "new_password", "new_password_again"})
        return await _security_page(request, actor, engine, status, password_errors=errors)
    flash(request, "Your password has been changed; your other sessions were signed out.")
    return see_other(PAGE)


@router.post("/security/totp/setup")
async def totp_setup(request: Request, actor: PageActor, engine: EngineDep) -> Response:
    await check_csrf(request)
    await run(perform, engine, actor, start_totp_setup)
    return see_other(PAGE + "#totp")


@router.post("/security/totp/confirm")
async def totp_confirm(request: Request, actor: PageActor, engine: EngineDep) -> Response:
    form = await check_csrf(request)
    try:
        await run(perform, engine, actor, confirm_totp, str(form.get("code", "")))
    except DomainError as error:
        errors, status = field_errors(error, {"code"})
        return await _security_page(request, actor, engine, status, totp_errors=errors)
    flash(request, "Two-step sign-in is on. From now on, signing in asks for a code from your app.")
    return see_other(PAGE)


@router.post("/security/totp/disable")
async def totp_disable(request: Request, actor: PageActor, engine: EngineDep) -> Response:
    form = await check_csrf(request)
    try:
        await run(perform, engine, actor, disable_totp, str(form.get("code", "")))
    except DomainError as error:
        errors, status = field_errors(error, {"code"})
        return await _security_page(request, actor, engine, status, totp_errors=errors)
    flash(request, "Two-step sign-in is off.")
    return see_other(PAGE)

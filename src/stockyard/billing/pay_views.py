"""Payment pages and endpoints outside the API: the gateways' webhooks and the test gateway's confirmation page.

Neither uses a staff session: a webhook proves itself by its signature, and the confirmation page is reached by the
charge's unguessable reference (and protected by the visitor's own session CSRF token).
"""

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from stockyard.billing import test_gateway
from stockyard.billing.gateways import WebhookRejected
from stockyard.billing.payments import handle_webhook
from stockyard.web.deps import EngineDep
from stockyard.web.pages import check_csrf, page_route, render, run, see_other

webhooks = APIRouter(include_in_schema=False)
pages = APIRouter(prefix="/pay", include_in_schema=False, route_class=page_route("pay/error.html"))


@webhooks.post("/webhooks/payments/{method_id}")
async def payment_webhook(method_id: int, request: Request, engine: EngineDep) -> JSONResponse:
    body = await request.body()
    try:
        outcome = await run(handle_webhook, engine, method_id, dict(request.headers), body)
    except WebhookRejected as error:
        return JSONResponse({"error": {"type": "bad_signature", "message": str(error), "field": None}},
                            status_code=400)
    return JSONResponse({"status": outcome})


@pages.get("/test/{reference}", response_class=HTMLResponse)
def confirmation_page(reference: str, request: Request, engine: EngineDep) -> Response:
    charge = test_gateway.charge_view(engine, reference)
    return render(request, "pay/test_confirm.html", {"charge": charge})


@pages.post("/test/{reference}")
async def confirm(reference: str, request: Request, engine: EngineDep) -> Response:
    form = await check_csrf(request)
    approve = form.get("decision") == "confirm"
    return_url = await run(test_gateway.confirm_charge, engine, reference, approve)
    if return_url:
        joiner = "&" if "?" in return_url else "?"
        return see_other(f"{return_url}{joiner}{urlencode({'payment': reference})}")
    return render(request, "pay/test_done.html", {"approved": approve})


router = APIRouter()
router.include_router(webhooks)
router.include_router(pages)

"""The application factory: API at /api/v1 (OpenAPI at /docs), back-office pages at /erp."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import js_lib_htmx
import swagger_ui_bundle
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from stockyard import __version__
from stockyard.billing.api import router as billing_api
from stockyard.billing.journal_views import api_router as journal_api
from stockyard.billing.journal_views import router as journal_pages
from stockyard.billing.pay_views import router as pay_pages
from stockyard.billing.views import router as payments_admin
from stockyard.catalog.admin_views import router as catalog_admin
from stockyard.catalog.api import router as catalog_api
from stockyard.catalog.pricing_api import router as pricing_api
from stockyard.catalog.pricing_views import router as price_lists_admin
from stockyard.core.db import create_db_engine
from stockyard.core.settings import Settings, get_settings
from stockyard.documents.api import router as documents_api
from stockyard.documents.views import router as documents_pages
from stockyard.fulfilment.api import router as shipping_api
from stockyard.fulfilment.execution_api import router as fulfilment_api
from stockyard.fulfilment.execution_views import router as fulfilment_pages
from stockyard.fulfilment.views import router as shipping_admin
from stockyard.identity.admin_views import router as identity_admin
from stockyard.identity.api import router as identity_api
from stockyard.identity.audit_views import router as audit_admin
from stockyard.identity.login_limits import InProcessLoginLimiter
from stockyard.identity.sessions import SessionPolicy, SessionStore
from stockyard.identity.tenants_views import router as tenants_admin
from stockyard.integration.api import router as events_api
from stockyard.integration.channels.api import router as channel_connections_api
from stockyard.integration.channels.sync_api import router as channel_sync_api
from stockyard.integration.channels.sync_views import router as channel_sync_admin
from stockyard.integration.channels.views import router as channel_connections_admin
from stockyard.integration.views import router as integration_admin
from stockyard.integration.webhooks.api import router as webhooks_api
from stockyard.integration.webhooks.views import router as webhooks_admin
from stockyard.inventory.api import router as inventory_api
from stockyard.inventory.views import router as inventory_pages
from stockyard.purchasing.api import router as purchasing_api
from stockyard.purchasing.views import router as purchasing_pages
from stockyard.returns.api import router as returns_api
from stockyard.returns.shop_views import router as returns_shop_pages
from stockyard.returns.views import router as returns_admin
from stockyard.sales.api import router as orders_api
from stockyard.sales.order_views import router as orders_admin
from stockyard.sales.storefront_api import router as storefront_api
from stockyard.sales.views import router as channels_admin
from stockyard.web import errors
from stockyard.web.account_views import router as account_pages
from stockyard.web.admin import router as admin_home
from stockyard.web.auth_views import router as auth_pages
from stockyard.web.deps import LoginRequired
from stockyard.web.dev_mail_views import router as dev_mail_admin
from stockyard.web.jobs import JobRunner
from stockyard.web.mobile.api import router as mobile_api
from stockyard.web.mobile.views import router as mobile_pages
from stockyard.web.request_id import RequestIdMiddleware
from stockyard.web.session_middleware import ServerSessionMiddleware
from stockyard.web.storefront.account_views import router as shop_account_pages
from stockyard.web.storefront.cart_views import router as shop_cart_pages
from stockyard.web.storefront.views import router as storefront_pages


def create_app(settings: Settings | None = None, engine: Engine | None = None, *, run_jobs: bool = True) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or create_db_engine(settings.resolved_database_url(), pool_size=settings.db_pool_size,
                                        max_overflow=settings.db_max_overflow)
    runner = JobRunner(engine, settings.jobs_interval_seconds) if run_jobs else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if runner:
            runner.start()
        yield
        if runner:
            await runner.stop()

    app = FastAPI(title="Stockyard", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url="/api/v1/openapi.json")
    app.state.engine = engine
    app.state.settings = settings
    app.state.login_limiter = InProcessLoginLimiter(settings.login_max_failures, settings.login_window_seconds)
    sessions = SessionStore(engine, SessionPolicy(idle=timedelta(minutes=settings.session_idle_minutes),
                                                  lifetime=timedelta(hours=settings.session_lifetime_hours)))
    app.add_middleware(ServerSessionMiddleware, store=sessions, secure=settings.cookie_secure)
    app.add_middleware(RequestIdMiddleware)  # outermost: every audit row of a request carries its id
    errors.install(app)

    @app.exception_handler(LoginRequired)
    async def _login(_: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"/login?next={exc.next_url}", status_code=303)

    api = APIRouter(prefix="/api/v1")
    # Requests are matched against routes in this order, one route at a time: the checkout's routes go first.
    api.include_router(storefront_api)
    api.include_router(catalog_api)
    api.include_router(inventory_api)
    api.include_router(fulfilment_api)
    api.include_router(pricing_api)
    api.include_router(identity_api)
    api.include_router(shipping_api)
    api.include_router(billing_api)
    api.include_router(returns_api)
    api.include_router(purchasing_api)
    api.include_router(orders_api)
    api.include_router(documents_api)
    api.include_router(channel_connections_api)
    api.include_router(channel_sync_api)
    api.include_router(mobile_api)
    api.include_router(webhooks_api)
    api.include_router(events_api)
    api.include_router(journal_api)
    app.include_router(api)
    app.include_router(pay_pages)
    app.include_router(auth_pages)
    app.include_router(storefront_pages)  # / is the shop (web/storefront)
    app.include_router(shop_cart_pages)
    app.include_router(shop_account_pages)
    app.include_router(returns_shop_pages)
    app.include_router(inventory_pages)
    app.include_router(fulfilment_pages)
    app.include_router(documents_pages)
    app.include_router(purchasing_pages)
    app.include_router(journal_pages)
    app.include_router(admin_home)
    app.include_router(account_pages)
    app.include_router(mobile_pages)  # /m: phone pages for warehouse staff
    # Admin routers of the contexts (one line each):
    app.include_router(audit_admin)
    app.include_router(tenants_admin)
    app.include_router(channel_connections_admin)  # before channels_admin: /admin/channels/{id} would match
    app.include_router(channels_admin)
    app.include_router(channel_sync_admin)
    app.include_router(price_lists_admin)
    app.include_router(shipping_admin)
    app.include_router(payments_admin)
    app.include_router(catalog_admin)
    app.include_router(identity_admin)
    app.include_router(dev_mail_admin)
    app.include_router(returns_admin)
    app.include_router(orders_admin)
    app.include_router(webhooks_admin)
    app.include_router(integration_admin)
    app.mount("/static/htmx", StaticFiles(directory=str(Path(js_lib_htmx.__file__).parent / "static" / "htmx")),
              name="htmx")
    # Swagger UI is served from its PyPI package, so /docs works without reaching a CDN.
    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger")
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/api/v1/openapi.json", title="Stockyard API",
                                   swagger_js_url="/static/swagger/swagger-ui-bundle.js",
                                   swagger_css_url="/static/swagger/swagger-ui.css",
                                   swagger_favicon_url="/static/swagger/favicon-32x32.png")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app

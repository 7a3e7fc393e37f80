"""The application factory. Routes are grouped in layers (storefront, admin, erp, mobile, api); a process serves
all of them or only some (`stockyard serve --only erp`), plus what every process needs (login, static files, health).

To add a router: append it to its layer's list in LAYERS (API routers wrapped in `v1(...)`)."""

from collections.abc import AsyncIterator, Iterable
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
from stockyard.analytics.anomaly_views import router as anomaly_alert_pages
from stockyard.analytics.forecast_views import router as forecast_pages
from stockyard.analytics.kpi_views import router as analytics_pages
from stockyard.billing.api import router as billing_api
from stockyard.billing.journal_views import api_router as journal_api
from stockyard.billing.journal_views import router as journal_pages
from stockyard.billing.pay_views import router as pay_pages
from stockyard.billing.reconciliation_views import api_router as reconciliation_api
from stockyard.billing.reconciliation_views import router as reconciliation_pages
from stockyard.billing.tax_views import router as taxes_admin
from stockyard.billing.valuation_views import api_router as valuation_api
from stockyard.billing.valuation_views import router as valuation_pages
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
from stockyard.identity.login_limits import limiter_for
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
from stockyard.web.access_log import AccessLogMiddleware
from stockyard.web.account_views import router as account_pages
from stockyard.web.admin import router as admin_home
from stockyard.web.auth_views import router as auth_pages
from stockyard.web.deps import LoginRequired
from stockyard.web.dev_mail_views import router as dev_mail_admin
from stockyard.web.health import router as health
from stockyard.web.idempotency import IdempotencyMiddleware, idempotency_store
from stockyard.web.jobs import JobRunner
from stockyard.web.metrics import HttpMetrics, MetricsMiddleware, process_registry
from stockyard.web.metrics import router as metrics
from stockyard.web.mobile.api import router as mobile_api
from stockyard.web.mobile.views import router as mobile_pages
from stockyard.web.request_id import RequestIdMiddleware
from stockyard.web.session_middleware import ServerSessionMiddleware
from stockyard.web.storefront.account_views import router as shop_account_pages
from stockyard.web.storefront.cart_views import router as shop_cart_pages
from stockyard.web.storefront.views import router as storefront_pages


def v1(router: APIRouter) -> APIRouter:
    """The router under /api/v1."""
    wrapped = APIRouter(prefix="/api/v1")
    wrapped.include_router(router)
    return wrapped


docs_pages = APIRouter(include_in_schema=False)


@docs_pages.get("/docs")
def docs() -> HTMLResponse:
    # Swagger UI is served from its PyPI package, so /docs works without reaching a CDN.
    return get_swagger_ui_html(openapi_url="/api/v1/openapi.json", title="Stockyard API",
                               swagger_js_url="/static/swagger/swagger-ui-bundle.js",
                               swagger_css_url="/static/swagger/swagger-ui.css",
                               swagger_favicon_url="/static/swagger/favicon-32x32.png")


# Requests are matched against routes in this order, one route at a time: the API's first, as it is the busiest.
LAYERS: dict[str, list[APIRouter]] = {
    "api": [  # /api/v1 and its documentation at /docs; the checkout's routes go first
        v1(storefront_api),
        v1(catalog_api),
        v1(inventory_api),
        v1(fulfilment_api),
        v1(pricing_api),
        v1(identity_api),
        v1(shipping_api),
        v1(billing_api),
        v1(returns_api),
        v1(purchasing_api),
        v1(orders_api),
        v1(documents_api),
        v1(channel_connections_api),
        v1(channel_sync_api),
        v1(webhooks_api),
        v1(events_api),
        v1(journal_api),
        v1(valuation_api),
        v1(reconciliation_api),
        docs_pages,
    ],
    "storefront": [  # the shop: / , /cart, /checkout, /my, payment pages and the gateways' callbacks
        pay_pages,
        storefront_pages,
        shop_cart_pages,
        shop_account_pages,
        returns_shop_pages,
    ],
    "erp": [  # back-office work pages at /erp
        inventory_pages,
        fulfilment_pages,
        documents_pages,
        purchasing_pages,
        journal_pages,
        valuation_pages,
        reconciliation_pages,
        forecast_pages,
        anomaly_alert_pages,
        analytics_pages,
    ],
    "mobile": [  # /m: phone pages for warehouse staff, and their API
        mobile_pages,
        v1(mobile_api),
    ],
    "admin": [  # /admin
        admin_home,
        audit_admin,
        tenants_admin,
        channel_connections_admin,  # before channels_admin: /admin/channels/{id} would match
        channels_admin,
        channel_sync_admin,
        price_lists_admin,
        shipping_admin,
        payments_admin,
        taxes_admin,
        catalog_admin,
        identity_admin,
        dev_mail_admin,
        returns_admin,
        orders_admin,
        webhooks_admin,
        integration_admin,
    ],
}

# Served by every process whatever its layers: signing in, the signed-in user's own security page, health, metrics.
COMMON: list[APIRouter] = [
    auth_pages,
    account_pages,
    health,  # /healthz, /readyz
    metrics,  # /metrics (Prometheus)
]


def parse_layers(spec: str | Iterable[str] | None) -> tuple[str, ...]:
    """`"erp,admin"` → ("erp", "admin"); None or empty → every layer. Unknown names are refused."""
    if spec is None:
        return tuple(LAYERS)
    names = [part.strip() for part in (spec.split(",") if isinstance(spec, str) else spec) if part.strip()]
    unknown = [name for name in names if name not in LAYERS]
    if unknown:
        raise ValueError(f"unknown layer(s) {', '.join(unknown)}; choose from {', '.join(LAYERS)}")
    return tuple(dict.fromkeys(names)) or tuple(LAYERS)


def create_app(settings: Settings | None = None, engine: Engine | None = None, *, run_jobs: bool = True,
               layers: str | Iterable[str] | None = None) -> FastAPI:
    settings = settings or get_settings()
    served = parse_layers(layers)
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
                  openapi_url="/api/v1/openapi.json" if "api" in served else None)
    app.state.engine = engine
    app.state.settings = settings
    app.state.layers = served
    app.state.login_limiter = limiter_for(settings, engine)  # Redis when STOCKYARD_REDIS_URL is set
    sessions = SessionStore(engine, SessionPolicy(idle=timedelta(minutes=settings.session_idle_minutes),
                                                  lifetime=timedelta(hours=settings.session_lifetime_hours)))
    app.state.metrics_registry = process_registry(engine)
    app.add_middleware(IdempotencyMiddleware, store=idempotency_store(engine, settings))
    app.add_middleware(ServerSessionMiddleware, store=sessions, secure=settings.cookie_secure)
    app.add_middleware(MetricsMiddleware, metrics=HttpMetrics(app.state.metrics_registry))
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(RequestIdMiddleware)  # outermost: every audit row and log line of a request carries its id
    errors.install(app)

    @app.exception_handler(LoginRequired)
    async def _login(_: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"/login?next={exc.next_url}", status_code=303)

    for layer, routers in LAYERS.items():
        if layer in served:
            for router in routers:
                app.include_router(router)
    for router in COMMON:
        app.include_router(router)
    app.mount("/static/htmx", StaticFiles(directory=str(Path(js_lib_htmx.__file__).parent / "static" / "htmx")),
              name="htmx")
    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger")
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")

    return app

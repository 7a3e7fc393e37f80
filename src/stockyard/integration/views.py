"""The integration page at /admin/integration: outbox lag, each consumer's backlog (and its broker queue in the
scale-out profile), failures being retried and dead letters with Replay / Discard (integration.manage)."""

import logging

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from stockyard.core.uow import perform, read
from stockyard.identity.domain import INTEGRATION_MANAGE, INTEGRATION_VIEW
from stockyard.integration import services
from stockyard.integration.broker import Topology, queue_depths
from stockyard.integration.dispatch import active_consumers
from stockyard.integration.queries import integration_overview
from stockyard.web.admin import ADMIN_SECTIONS, admin_page, admin_router
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, flash, run, see_other

BASE = "/admin/integration"
log = logging.getLogger("stockyard.integration.views")
router = admin_router("/integration")
ADMIN_SECTIONS.append(("integration", BASE, "Integration"))


@router.get("", response_class=HTMLResponse)
def integration_page(request: Request, engine: EngineDep, actor: PageActor,
                     page_no: int = Query(default=1, ge=1, alias="page"),
                     dead_page: int = Query(default=1, ge=1)) -> Response:
    actor.require(INTEGRATION_VIEW)
    settings = request.app.state.settings
    consumers = active_consumers(settings)
    overview = read(engine, actor, integration_overview,
                    {name: ", ".join(sorted(c.event_types)) for name, c in consumers.items()}, page_no, dead_page)
    depths: dict[str, int | None] = {}
    broker_problem = ""
    topology = Topology(settings.broker_prefix)
    if settings.broker_url:
        try:
            depths = queue_depths(settings.broker_url, topology, list(consumers))
        except Exception as error:  # the page still shows the database's side
            log.warning("queue depths unavailable: %s", error)
            broker_problem = f"The broker does not answer ({type(error).__name__})."
    return admin_page(request, actor, "admin/integration/backbone.html", section="integration", overview=overview,
                      broker=bool(settings.broker_url), depths=depths, dead_queue=topology.dead_queue,
                      broker_problem=broker_problem, readonly=not actor.can(INTEGRATION_MANAGE))


@router.post("/dead-letters/{delivery_id}/replay")
async def replay(delivery_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    await check_csrf(request)
    await run(perform, engine, actor, services.replay_dead_letter, delivery_id)
    flash(request, f"Dead letter {delivery_id} goes to its consumer again.")
    return see_other(BASE)


@router.post("/dead-letters/{delivery_id}/discard")
async def discard(delivery_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    await check_csrf(request)
    await run(perform, engine, actor, services.discard_dead_letter, delivery_id)
    flash(request, f"Dead letter {delivery_id} discarded; its consumer will not handle that event.")
    return see_other(BASE)

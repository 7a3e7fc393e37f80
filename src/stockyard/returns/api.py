"""JSON API for returns at /api/v1/returns: the queue, a return's detail, and every step (request, authorise,
reject, receive, inspect, refund, exchange, close). Bodies are the services' own commands."""

from typing import Any

from fastapi import APIRouter

from stockyard.core.actor import Actor
from stockyard.core.uow import perform, read
from stockyard.identity.domain import RETURNS_VIEW
from stockyard.returns import queries, services
from stockyard.web.deps import ApiActor, EngineDep

router = APIRouter(prefix="/returns", tags=["returns"])


def _detail(engine: Any, actor: Any, return_id: int) -> dict[str, Any]:
    return queries.as_json(read(engine, actor, queries.return_detail, return_id))


def _viewer(actor: Actor) -> Actor:
    """Every step answers with the return, so the caller must be allowed to see it: checked before anything
    changes, never after."""
    actor.require(RETURNS_VIEW)
    return actor


@router.get("")
def list_returns(engine: EngineDep, actor: ApiActor, status: str | None = None, older_than_days: int | None = None,
                 q: str = "", page: int = 1, per_page: int = 50) -> dict[str, Any]:
    """Returns, oldest first; `status` may be `open` (requested, authorised, received or inspected)."""
    result = read(engine, actor, queries.list_returns, status=status, older_than_days=older_than_days, q=q,
                  page=page, per_page=per_page)
    return {"total": result.total, "page": result.page, "per_page": result.per_page, "items": [
        {"id": r.id, "number": r.number, "order_number": r.order_number, "email": r.email, "status": r.status,
         "reason": r.reason, "initiated_by": r.initiated_by, "units": int(r.units),
         "created_at": r.created_at.isoformat(), "age_days": r.age_days} for r in result.items]}


@router.get("/{return_id}")
def get_return(return_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return _detail(engine, actor, return_id)


@router.post("", status_code=201)
def request_return(body: services.RequestReturn, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    """Staff record a customer's return request (returns.manage)."""
    _viewer(actor)
    created = perform(engine, actor, services.request_return, body)
    return _detail(engine, actor, created.id)


@router.post("/{return_id}/authorize")
def authorize(return_id: int, body: services.Decision, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    _viewer(actor)
    perform(engine, actor, services.authorize_return, return_id, body)
    return _detail(engine, actor, return_id)


@router.post("/{return_id}/reject")
def reject(return_id: int, body: services.Decision, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    _viewer(actor)
    perform(engine, actor, services.reject_return, return_id, body)
    return _detail(engine, actor, return_id)


@router.post("/{return_id}/receive")
def receive(return_id: int, body: services.ReceiveItems, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    """The parcel arrived: the units land in `location` as return_pending stock."""
    _viewer(actor)
    perform(engine, actor, services.receive_items, return_id, body)
    return _detail(engine, actor, return_id)


@router.post("/{return_id}/inspect")
def inspect(return_id: int, body: services.InspectReturn, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    """A grade (A-D or new / like-new / damaged / unusable) and a disposition per received line."""
    _viewer(actor)
    perform(engine, actor, services.inspect_return, return_id, body)
    return _detail(engine, actor, return_id)


@router.post("/{return_id}/refund")
def refund(return_id: int, body: services.RefundReturn, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    """Refund through the order's payment gateway (returns.refund); `amount` empty: the most allowed."""
    _viewer(actor)
    perform(engine, actor, services.refund_return, return_id, body)
    return _detail(engine, actor, return_id)


@router.post("/{return_id}/exchange")
def exchange(return_id: int, body: services.ExchangeReturn, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    """A replacement order instead of money, paid by the returned goods."""
    _viewer(actor)
    perform(engine, actor, services.exchange_return, return_id, body)
    return _detail(engine, actor, return_id)


@router.post("/{return_id}/close")
def close(return_id: int, body: services.Decision, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    _viewer(actor)
    perform(engine, actor, services.close_return, return_id, body)
    return _detail(engine, actor, return_id)

"""The demo's after-sales: customers send some delivered parts back, told through the real return services, so that
the returns queue and the analytics (return rate and reasons, refund cycle time, the order timeline's steps) have
something true to show. One return is refunded, one is received and waits for inspection, one is only requested."""

from sqlalchemy import Engine, select

from stockyard.core.actor import Actor
from stockyard.core.progress import Steps
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.returns import services as returns
from stockyard.returns.models import ReturnLine
from stockyard.sales.models import Order, OrderLine

# (reason, how far the return goes) for the first delivered orders, oldest first.
RETURNS = (("damaged_in_transit", "refunded"), ("wrong_item", "received"), ("does_not_fit", "requested"))
RECEIVING = "MAIN/RCV"


def _first_lines(uow: UnitOfWork, count: int) -> list[tuple[int, int]]:
    """(order id, its first line id) of the oldest delivered orders."""
    delivered = uow.execute(select(Order.id).where(Order.status.in_(("delivered", "invoiced")))
                            .order_by(Order.id).limit(count)).scalars().all()
    return [(order_id, uow.execute(select(OrderLine.id).where(OrderLine.order_id == order_id)
                                   .order_by(OrderLine.id).limit(1)).scalar_one()) for order_id in delivered]


def _send_back(uow: UnitOfWork, order_id: int, line_id: int, reason: str, until: str) -> None:
    requested = returns.request_return(uow, returns.RequestReturn(
        order_id=order_id, lines=[returns.ReturnLineIn(order_line_id=line_id, quantity=1)], reason=reason,
        reason_text="sent back in the demo"))
    if until == "requested":
        return
    returns.authorize_return(uow, requested.id, returns.Decision(note="send it back"))
    returns.receive_items(uow, requested.id, returns.ReceiveItems(location=RECEIVING))
    if until == "received":
        return
    line = uow.execute(select(ReturnLine.id).where(ReturnLine.return_id == requested.id)
                       ).scalar_one()
    returns.inspect_return(uow, requested.id, returns.InspectReturn(
        lines=[returns.InspectLineIn(return_line_id=line, grade="A", note="as new")]))
    returns.refund_return(uow, requested.id, returns.RefundReturn(note="demo"))


def send_back(engine: Engine, owner: Actor, steps: Steps) -> None:
    advance = steps.task("Returns", len(RETURNS))
    for (order_id, line_id), (reason, until) in zip(read(engine, owner, _first_lines, len(RETURNS)), RETURNS,
                                                    strict=False):
        perform(engine, owner, _send_back, order_id, line_id, reason, until)
        advance(1)

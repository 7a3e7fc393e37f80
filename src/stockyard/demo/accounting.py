"""Demo: the books. Once the consumers have posted every flow (receipts, sales, returns, write-offs, counts, freight;
the history's months included), the month before last is closed, as an accountant who has finished it would: the
journal, trial balance and periods pages show real figures, open months and a closed one."""

from sqlalchemy import Engine

from stockyard.billing import periods
from stockyard.billing import periods_domain as pd
from stockyard.core.actor import Actor
from stockyard.core.clock import utcnow
from stockyard.core.progress import Steps
from stockyard.core.uow import perform
from stockyard.integration.dispatch import dispatch_job


def close_books(engine: Engine, accountant: Actor, steps: Steps) -> None:
    advance = steps.task("Books: the month before last closed", 1)
    dispatch_job(engine)  # everything is posted before a month is closed
    perform(engine, accountant, periods.close_period, pd.previous_month(pd.previous_month(pd.month_of(
        utcnow().date()))))
    advance(1)

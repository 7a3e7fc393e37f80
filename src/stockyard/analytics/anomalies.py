"""Anomaly alerts: the scan that raises them (a background job), staff acknowledging or dismissing them, and the
list for the alerts page and its CSV export.

The scan looks at the last `SCAN_DAYS` days: every watched stock movement in them, and every complete day's
cancellation rate and margins per channel (today is still going on, so it waits for tomorrow's scan). An anomaly is
stored once, by its fingerprint: scanning again, or by two processes at once, never raises it twice. Each new alert
is announced as `analytics.alert_raised.v1`.
"""

import csv
import io
import threading
import time as clock
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from stockyard.analytics import anomalies_sources as sources
from stockyard.analytics import anomaly_domain as ad
from stockyard.analytics.anomalies_models import AnomalyAlert
from stockyard.billing.rows import insert_or_skip
from stockyard.core.actor import system_actor
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork, perform, read, requires
from stockyard.identity.audit import csv_safe
from stockyard.identity.domain import ANALYTICS_VIEW

SCAN_DAYS = 7
STATES = ("open", "acknowledged", "dismissed")
DECISIONS = {"acknowledge": "acknowledged", "dismiss": "dismissed"}
_ALERTS = AnomalyAlert.__table__


def find_anomalies(uow: UnitOfWork, now: datetime, scan_days: int = SCAN_DAYS) -> list[ad.Anomaly]:
    """What the detectors find in the last `scan_days` days before `now` (pure reads)."""
    since = now - timedelta(days=scan_days)
    recent = sources.moves(uow, since, now)
    found: list[ad.Anomaly] = []
    if recent:
        skus = sources.sku_ids(uow, {m.sku for m in recent})
        earlier = sources.moves(uow, since - timedelta(days=ad.MOVE_HISTORY_DAYS), since, skus)
        found += ad.unusual_moves(recent, earlier)
    last = now.date() - timedelta(days=1)  # the last complete day
    first = now.date() - timedelta(days=scan_days)
    history_from = first - timedelta(days=ad.BASELINE_DAYS)
    days = sources.orders_per_day(uow, history_from, last)
    found += ad.cancellation_spikes([d for d in days if d.day >= first], [d for d in days if d.day < first])
    margins = sources.margins_per_day(uow, history_from, last)
    found += ad.margin_drops([d for d in margins if d.day >= first], [d for d in margins if d.day < first])
    return found


def new_anomalies(uow: UnitOfWork, now: datetime | None = None, scan_days: int = SCAN_DAYS) -> list[ad.Anomaly]:
    """What the detectors find that is not stored yet (pure reads)."""
    uow.require(ANALYTICS_VIEW)
    found = find_anomalies(uow, now or utcnow(), scan_days)
    if not found:
        return []
    known = set(uow.conn.execute(select(_ALERTS.c.fingerprint).where(
        _ALERTS.c.tenant_id == uow.tenant_id, _ALERTS.c.fingerprint.in_([a.fingerprint for a in found]))).scalars())
    return [a for a in found if a.fingerprint not in known]


def raise_alerts(uow: UnitOfWork, found: list[ad.Anomaly]) -> int:
    """Stores the anomalies not raised before (a concurrent scan's are skipped); returns how many were new."""
    uow.require(ANALYTICS_VIEW)
    raised = 0
    for anomaly in found:
        row = insert_or_skip(uow.conn, _ALERTS, {
            "tenant_id": uow.tenant_id, "kind": anomaly.kind, "fingerprint": anomaly.fingerprint[:200],
            "subject": anomaly.subject[:200], "day": anomaly.day, "figures": anomaly.figures,
            "reason": anomaly.reason[:500], "state": "open", "decided_by": "", "note": "",
            "created_at": utcnow()}, [_ALERTS.c.id])
        if row is None:
            continue
        raised += 1
        add_event(uow, "analytics.alert_raised.v1", {
            "alert_id": row.id, "kind": anomaly.kind, "subject": anomaly.subject, "day": anomaly.day.isoformat(),
            "reason": anomaly.reason, "figures": anomaly.figures})
    return raised


def scan_anomalies(uow: UnitOfWork, now: datetime | None = None, scan_days: int = SCAN_DAYS) -> int:
    """One tenant scanned in one transaction; returns how many new alerts were raised."""
    return raise_alerts(uow, new_anomalies(uow, now, scan_days))


# ---- the job ------------------------------------------------------------------------------------------------------

SCAN_EVERY_SECONDS = 15 * 60
_last_scan: dict[int, float] = {}
_lock = threading.Lock()


def scan_anomalies_everywhere(engine: Engine, *, force: bool = False, tenant_ids: list[int] | None = None) -> int:
    """Every tenant with stock movements or orders in the scan window (or those of `tenant_ids`) scanned, at most
    once per `SCAN_EVERY_SECONDS` per process (the scan reads weeks of data; an anomaly raised a few minutes later
    is still on time). Returns how many new alerts were raised."""
    with _lock:
        last = _last_scan.get(id(engine))
        if not force and last is not None and clock.monotonic() - last < SCAN_EVERY_SECONDS:
            return 0
        _last_scan[id(engine)] = clock.monotonic()
    now = utcnow()
    since = datetime.combine(now.date() - timedelta(days=SCAN_DAYS), datetime.min.time())
    with UnitOfWork(engine, readonly=True) as uow:
        tenants = sorted(set(uow.conn.execute(sources.active_tenants(since)).scalars()))
    if tenant_ids is not None:
        tenants = [t for t in tenants if t in set(tenant_ids)]
    raised = 0
    for tenant_id in tenants:  # reads first: a tenant with nothing new takes no write lock
        actor = system_actor(tenant_id, "anomaly scan")
        found = read(engine, actor, new_anomalies, now)
        if found:
            raised += perform(engine, actor, raise_alerts, found)
    return raised


# ---- acknowledging and dismissing ----------------------------------------------------------------------------------

def decide_alert(uow: UnitOfWork, alert_id: int, decision: str, note: str = "") -> None:
    """An open alert acknowledged (someone is on it) or dismissed (nothing wrong after all), once."""
    actor = uow.require(ANALYTICS_VIEW)
    state = DECISIONS.get(decision)
    if state is None:
        raise ValidationFailed(f"must be one of {', '.join(DECISIONS)}", field="decision")
    if len(note) > 300:
        raise ValidationFailed("is longer than 300 characters", field="note")
    done = uow.conn.execute(_ALERTS.update().where(
        _ALERTS.c.tenant_id == uow.tenant_id, _ALERTS.c.id == alert_id, _ALERTS.c.state == "open")
        .values(state=state, decided_by=actor.name[:200], decided_at=utcnow(), note=note.strip()))
    if done.rowcount != 1:
        current = uow.conn.execute(select(_ALERTS.c.state).where(
            _ALERTS.c.tenant_id == uow.tenant_id, _ALERTS.c.id == alert_id)).scalar_one_or_none()
        if current is None:
            raise NotFound(f"no alert {alert_id}", field="alert_id")
        raise Conflict(f"the alert is already {current}", field="alert_id")
    add_event(uow, f"analytics.alert_{state}.v1", {"alert_id": alert_id, "state": state, "note": note.strip()})


# ---- the list -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AlertRow:
    id: int
    kind: str
    subject: str
    day: date
    reason: str
    figures: dict[str, Any]
    state: str
    decided_by: str
    decided_at: datetime | None
    note: str
    raised_at: datetime

    @property
    def kind_label(self) -> str:
        return ad.KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class AlertList:
    rows: list[AlertRow]
    counts: dict[str, int]  # open alerts per kind, whatever the filters


def _check(choice: str | None, allowed: Any, field: str) -> str | None:
    if choice and choice not in allowed:
        raise ValidationFailed(f"must be one of {', '.join(allowed)}", field=field)
    return choice or None


@requires(ANALYTICS_VIEW)
def list_alerts(uow: UnitOfWork, *, state: str | None = "open", kind: str | None = None, start: date | None = None,
                end: date | None = None, limit: int = 500) -> AlertList:
    """Alerts newest day first, filtered by state, kind and the day they concern (both ends included)."""
    state, kind = _check(state, STATES, "state"), _check(kind, ad.KINDS, "kind")
    a = _ALERTS
    stmt = select(a).where(a.c.tenant_id == uow.tenant_id)
    if state:
        stmt = stmt.where(a.c.state == state)
    if kind:
        stmt = stmt.where(a.c.kind == kind)
    if start:
        stmt = stmt.where(a.c.day >= start)
    if end:
        stmt = stmt.where(a.c.day <= end)
    rows = uow.conn.execute(stmt.order_by(a.c.day.desc(), a.c.id.desc()).limit(limit)).all()
    counts = dict.fromkeys(ad.KINDS, 0)
    for k, n in uow.conn.execute(select(a.c.kind, func.count()).where(a.c.tenant_id == uow.tenant_id,
                                                                      a.c.state == "open").group_by(a.c.kind)):
        counts[k] = int(n)
    return AlertList([AlertRow(r.id, r.kind, r.subject, r.day, r.reason, r.figures, r.state, r.decided_by,
                               r.decided_at, r.note, r.created_at) for r in rows], counts)


COLUMNS = ("id", "kind", "day", "subject", "reason", "figures", "state", "decided_by", "decided_at", "note",
           "raised_at")


def alerts_csv(rows: list[AlertRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        figures = "; ".join(f"{k}={v}" for k, v in r.figures.items())
        writer.writerow([r.id, r.kind, r.day.isoformat(), csv_safe(r.subject), csv_safe(r.reason), csv_safe(figures),
                         r.state, csv_safe(r.decided_by),
                         r.decided_at.isoformat(timespec="seconds") if r.decided_at else "", csv_safe(r.note),
                         r.raised_at.isoformat(timespec="seconds")])
    return out.getvalue()

"""The permission matrix of tests/test_permission_matrix.py for the anomaly alert forms, against a scene of its own (an
open alert, as the scan stores it): a role holding analytics.view acknowledges or dismisses it (303); any other gets
403 and not one row of the tenant changes."""

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from stockyard.analytics.anomalies_models import AnomalyAlert
from stockyard.core.clock import utcnow
from stockyard.identity.domain import ANALYTICS_VIEW, ROLES
from tests.conftest import TenantCtx
from tests.test_permission_matrix import Action, check_role_request, form

ACTIONS: list[Action] = [
    form("acknowledge anomaly alert (form)", "/erp/analytics/alerts/{alert}/acknowledge", {ANALYTICS_VIEW},
         {"note": "looking into it"}),
    form("dismiss anomaly alert (form)", "/erp/analytics/alerts/{alert}/dismiss", {ANALYTICS_VIEW}),
]


@dataclass
class Scene:
    alert: int


def _scene(ctx: TenantCtx) -> Scene:
    with ctx.uow() as uow:
        alert = uow.conn.execute(AnomalyAlert.__table__.insert().values(
            tenant_id=ctx.tenant_id, kind="stock_movement", fingerprint="move:1", subject="SKU-001 at MAIN (write-off)",
            day=utcnow().date(), figures={"quantity": 40}, reason="Write-off of 40 units of SKU-001 at MAIN is 38.0× "
            "the median absolute deviation above its usual 2 units.", state="open", decided_by="", note="",
            created_at=utcnow()).returning(AnomalyAlert.__table__.c.id)).scalar_one()
    return Scene(alert)


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_role_against_alert_form(action: Action, role: str, engine: Engine, client: TestClient) -> None:
    check_role_request(client, action, role, engine, _scene)

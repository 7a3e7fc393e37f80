"""The SKU admin form's "Backorderable" box: saved through the SKU update service, audited, shown again on edit."""

import re

from sqlalchemy import select

from stockyard.catalog.models import Sku
from stockyard.catalog.storefront_queries import stock_label
from stockyard.core.audit import AuditEntry
from stockyard.core.uow import UnitOfWork
from tests.conftest import TenantCtx
from tests.inventory.support import events
from tests.web.test_pages import Staff, new_client, shown_value, sign_in  # noqa: F401  (fixtures)

CHECKBOX = re.compile(r'<input type="checkbox" name="backorderable" value="on"( checked)?>')


def _backorderable(tenant: TenantCtx, sku_id: int) -> bool:
    with UnitOfWork(tenant.engine, readonly=True) as uow:
        return bool(uow.conn.execute(select(Sku.backorderable).where(Sku.id == sku_id)).scalar_one())


def _form(html: str) -> dict[str, str]:
    form = {name: shown_value(html, name) for name in ("name", "unit", "tracking", "weight_g", "length_mm",
                                                       "width_mm", "height_mm")}
    return {**form, "active": "on"}


def test_owner_marks_a_sku_backorderable_and_the_change_is_audited(tenant: TenantCtx, sign_in) -> None:  # noqa: ANN001, F811
    owner: Staff = sign_in("owner")
    created = owner.post("/admin/catalog/products/new", {"name": "Brake pad", "sku": "PAD-1", "weight_g": "300"})
    assert created.status_code == 303, created.text[:1000]
    product = owner.follow(created).text
    sku_url = re.search(r'href="(/admin/catalog/skus/(\d+))"', product)
    assert sku_url
    url, sku_id = sku_url[1], int(sku_url[2])
    page = owner.get(url).text
    assert CHECKBOX.search(page)[1] is None and not _backorderable(tenant, sku_id)

    saved = owner.post(url, {**_form(page), "backorderable": "on"})
    assert saved.status_code == 303, saved.text[:1000]
    page = owner.follow(saved).text
    assert CHECKBOX.search(page)[1] == " checked"
    assert _backorderable(tenant, sku_id)
    event = events(tenant, "sku.updated.v1")[-1]
    assert event["before"]["backorderable"] is False and event["after"]["backorderable"] is True
    assert event["after"]["weight_g"] == 300  # the other fields were kept
    with UnitOfWork(tenant.engine, readonly=True) as uow:
        audit = uow.conn.execute(select(AuditEntry.before, AuditEntry.after).where(
            AuditEntry.tenant_id == tenant.tenant_id, AuditEntry.action == "sku.updated.v1",
            AuditEntry.object_id == str(sku_id)).order_by(AuditEntry.id.desc())).first()
    assert audit is not None and audit.before["backorderable"] is False and audit.after["backorderable"] is True
    assert stock_label(0, _backorderable(tenant, sku_id), 3).text == "Backorderable"

    # Saving without the box ticked clears it again.
    cleared = owner.post(url, _form(page))
    assert cleared.status_code == 303
    assert not _backorderable(tenant, sku_id)
    assert CHECKBOX.search(owner.follow(cleared).text)[1] is None
    assert events(tenant, "sku.updated.v1")[-1]["after"]["backorderable"] is False


def test_read_only_user_cannot_make_a_sku_backorderable(tenant: TenantCtx, sign_in) -> None:  # noqa: ANN001, F811
    owner: Staff = sign_in("owner")
    product = owner.follow(owner.post("/admin/catalog/products/new", {"name": "Brake pad", "sku": "PAD-1"})).text
    url = re.search(r'href="(/admin/catalog/skus/(\d+))"', product)
    viewer: Staff = sign_in("read_only")
    refused = viewer.post(url[1], {"name": "Brake pad", "backorderable": "on", "active": "on"})
    assert refused.status_code == 403
    assert not _backorderable(tenant, int(url[2]))

"""The shipping-method admin form keeps transit days and the dimensional-weight divisor, and offers every basis."""

from sqlalchemy import select

from stockyard.fulfilment.models import ShippingMethod
from tests.conftest import TenantCtx
from tests.web.test_pages import Staff, field_error, new_client, shown_value, sign_in  # noqa: F401  (fixtures)


def _method(tenant: TenantCtx, code: str) -> ShippingMethod:
    with tenant.uow() as uow:
        method = uow.execute(select(ShippingMethod).where(ShippingMethod.code == code)).scalar_one()
        uow.session.expunge(method)
        return method


def test_method_form_saves_transit_days_and_divisor_and_edit_keeps_them(tenant: TenantCtx, sign_in) -> None:  # noqa: ANN001, F811
    owner: Staff = sign_in("owner")
    assert owner.post("/admin/shipping/carriers/new", {"code": "DHL", "name": "DHL", "active": "on"}).status_code == 303
    blank = owner.get("/admin/shipping/methods/new")
    assert shown_value(blank.text, "transit_days") == "2" and shown_value(blank.text, "dim_divisor") == "5000"
    bad = owner.post("/admin/shipping/methods/new", {"carrier": "DHL", "code": "DHL-STD", "name": "Standard",
                                                     "currency": "EUR", "transit_days": "-1", "dim_divisor": "0"})
    assert bad.status_code == 422 and field_error(bad.text, "transit_days")
    created = owner.post("/admin/shipping/methods/new", {"carrier": "DHL", "code": "DHL-STD", "name": "Standard",
                                                         "currency": "EUR", "transit_days": "4", "dim_divisor": "0",
                                                         "active": "on"})
    assert created.status_code == 303, created.text
    detail = owner.follow(created)
    assert "4 working day(s)" in detail.text and "actual weight only" in detail.text
    method = _method(tenant, "DHL-STD")
    assert (method.transit_days, method.dim_divisor) == (4, 0)

    edit = owner.get(f"/admin/shipping/methods/{method.id}/edit")
    assert shown_value(edit.text, "transit_days") == "4" and shown_value(edit.text, "dim_divisor") == "0"
    # saving the edit form as shown (only the name changed) keeps both values
    form = {name: shown_value(edit.text, name) for name in ("carrier", "code", "name", "currency",
                                                          "remote_area_surcharge", "remote_area_patterns",
                                                          "oversize_surcharge", "oversize_length_mm",
                                                          "transit_days", "dim_divisor")}
    saved = owner.post(f"/admin/shipping/methods/{method.id}/edit", {**form, "name": "Standard parcel", "active": "on"})
    assert saved.status_code == 303, saved.text
    method = _method(tenant, "DHL-STD")
    assert (method.name, method.transit_days, method.dim_divisor) == ("Standard parcel", 4, 0)
    changed = owner.post(f"/admin/shipping/methods/{method.id}/edit", {**form, "dim_divisor": "6000", "active": "on"})
    assert changed.status_code == 303
    assert _method(tenant, "DHL-STD").dim_divisor == 6000


def test_rate_table_by_item_count_through_the_method_page(tenant: TenantCtx, sign_in) -> None:  # noqa: ANN001, F811
    owner: Staff = sign_in("owner")
    owner.post("/admin/shipping/zones/new", {"name": "Germany", "countries": "DE", "active": "on"})
    owner.post("/admin/shipping/carriers/new", {"code": "DHL", "name": "DHL", "active": "on"})
    owner.post("/admin/shipping/methods/new", {"carrier": "DHL", "code": "DHL-STD", "name": "Standard",
                                               "currency": "EUR", "active": "on"})
    method = _method(tenant, "DHL-STD")
    page = owner.get(f"/admin/shipping/methods/{method.id}")
    assert '<option value="item_count"' in page.text
    zone_id = page.text.split('name="zone_id"')[1].split('<option value="')[2].split('"')[0]
    saved = owner.post(f"/admin/shipping/methods/{method.id}/rates", {
        "zone_id": zone_id, "basis": "item_count", "bands.0.lower": "0", "bands.0.upper": "3", "bands.0.price": "4.90",
        "bands.1.lower": "3", "bands.1.price": "7.90"})
    assert saved.status_code == 303, saved.text
    shown = owner.follow(saved).text
    assert "Germany · by item count" in shown
    again = owner.get(f"/admin/shipping/methods/{method.id}", zone_id=zone_id, basis="item_count")
    assert shown_value(again.text, "basis") == "item_count" and shown_value(again.text, "bands.1.price") == "7.9"

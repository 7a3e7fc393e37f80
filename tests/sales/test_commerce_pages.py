"""The admin pages for channels, price lists, shipping and payments, through a signed-in browser session."""

from tests.conftest import TenantCtx
from tests.web.test_pages import Staff, field_error, new_client, sign_in  # noqa: F401  (fixtures)


def test_owner_configures_commerce_through_the_admin_pages(tenant: TenantCtx, sign_in) -> None:  # noqa: ANN001, F811
    owner: Staff = sign_in("owner")
    bad = owner.post("/admin/channels/new", {"code": "WEB", "name": "Web", "kind": "storefront", "currency": "XYZ"})
    assert bad.status_code == 422 and "ISO 4217" in (field_error(bad.text, "currency") or "")
    page = owner.follow(owner.post("/admin/channels/new", {"code": "WEB", "name": "Web shop", "kind": "storefront",
                                                           "currency": "EUR", "active": "on"}))
    assert page.status_code == 200 and "WEB" in owner.get("/admin/channels").text
    created = owner.post("/admin/price-lists/new", {"name": "Retail", "channel": "WEB", "active": "on"})
    list_page = owner.follow(created)
    assert "Retail" in list_page.text
    list_url = created.headers["location"]
    bad_tiers = owner.post(f"{list_url}/prices", {"sku": "NOPE", "tiers.0.min_quantity": "1",
                                                  "tiers.0.unit_price": "5"})
    assert bad_tiers.status_code == 404 and "unknown SKU" in bad_tiers.text
    zone = owner.post("/admin/shipping/zones/new", {"name": "Germany", "countries": "DE, XX", "position": "0"})
    assert zone.status_code == 422 and "XX" in (field_error(zone.text, "countries") or "")
    zone = owner.post("/admin/shipping/zones/new", {"name": "Germany", "countries": "DE",
                                                    "postcode_patterns": "1*\n20000-29999", "active": "on"})
    assert zone.status_code == 303
    found = owner.get("/admin/shipping", country="DE", postcode="20095")
    assert "Zone: " in found.text and "Germany" in found.text
    assert owner.post("/admin/shipping/carriers/new", {"code": "DHL", "name": "DHL", "active": "on"}).status_code == 303
    method = owner.post("/admin/shipping/methods/new", {"carrier": "DHL", "code": "DHL-STD", "name": "Standard",
                                                        "currency": "EUR", "oversize_length_mm": "0"})
    assert method.status_code == 303, method.text
    assert "Standard" in owner.follow(method).text
    pay = owner.post("/admin/payments/new?gateway=stripe", {
        "name": "Card", "settings.publishable_key": "pk_test_0123456789ab",
        "secrets.secret_key": "sk_test_abcdefghijkl9876", "secrets.webhook_secret": "whsec_0123456789abcdef"})
    assert pay.status_code == 303, pay.text
    shown = owner.follow(pay).text
    assert "ends with …9876" in shown and "sk_test_abcdefghijkl9876" not in shown


def test_read_only_user_sees_no_edit_and_is_refused_on_a_forged_post(tenant: TenantCtx, sign_in) -> None:  # noqa: ANN001, F811
    viewer: Staff = sign_in("read_only")
    assert viewer.get("/admin/channels").status_code == 200
    assert "New channel" not in viewer.get("/admin/channels").text
    refused = viewer.post("/admin/channels/new", {"code": "WEB", "name": "Web", "currency": "EUR"})
    assert refused.status_code == 403
    assert "WEB" not in viewer.get("/admin/channels").text
    assert viewer.post("/admin/shipping/carriers/new", {"code": "DHL", "name": "DHL"}).status_code == 403

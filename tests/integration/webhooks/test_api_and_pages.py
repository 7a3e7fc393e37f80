"""Webhooks over HTTP: the JSON API at /api/v1/webhooks and the admin pages at /admin/webhooks (list with search and
sort, create with the secret shown once, edit, send a test event that a loopback server receives, the delivery log
with response codes and durations, resend, rotate the secret, delete), with their permissions."""

import re
import uuid
from typing import Any

from fastapi.testclient import TestClient

from stockyard.integration.webhooks import domain
from stockyard.integration.webhooks.delivery import deliver_due_webhooks
from tests.conftest import Api, TenantCtx
from tests.integration.webhooks.receiver import receiver

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SECRET = re.compile(r"(whsec_[0-9a-f]{48})")


def test_the_api_creates_reads_updates_tests_resends_rotates_and_deletes(api: Api, tenant: TenantCtx) -> None:
    with receiver() as hook:
        made = api.post("/api/v1/webhooks", {"url": hook.url, "event_types": ["webhook.test.v1"],
                                             "description": "ERP bridge"})
        assert made.status_code == 201, made.text
        body = made.json()
        secret, webhook_id = body["secret"], body["id"]
        assert secret.startswith("whsec_") and body["secret_hint"].endswith(secret[-4:])
        shown = api.get(f"/api/v1/webhooks/{webhook_id}").json()
        assert "secret" not in shown and shown["event_types"] == ["webhook.test.v1"] and shown["active"] is True
        listed = api.get("/api/v1/webhooks", params={"q": "erp bridge"}).json()
        assert [w["id"] for w in listed["items"]] == [webhook_id]

        test = api.post(f"/api/v1/webhooks/{webhook_id}/test")
        assert test.status_code == 200
        assert deliver_due_webhooks(tenant.engine) >= 1
        domain.verify_signature(secret, hook.requests[-1].headers[domain.SIGNATURE_HEADER], hook.requests[-1].body)
        log = api.get(f"/api/v1/webhooks/{webhook_id}/deliveries").json()["items"]
        assert log[0]["status"] == "delivered" and log[0]["log"][0]["status_code"] == 200
        assert log[0]["log"][0]["duration_ms"] >= 0

        resent = api.post(f"/api/v1/webhooks/{webhook_id}/deliveries/{log[0]['id']}/resend")
        assert resent.status_code == 200
        deliver_due_webhooks(tenant.engine)
        assert len(hook.requests) == 2 and hook.requests[0].body == hook.requests[1].body

        rotated = api.post(f"/api/v1/webhooks/{webhook_id}/rotate-secret").json()
        assert rotated["secret"] != secret
        api.post(f"/api/v1/webhooks/{webhook_id}/test")
        deliver_due_webhooks(tenant.engine)
        domain.verify_signature(rotated["secret"], hook.requests[-1].headers[domain.SIGNATURE_HEADER],
                                hook.requests[-1].body)

    changed = api.put(f"/api/v1/webhooks/{webhook_id}", {"url": "https://erp.example.com/in", "event_types": ["*"],
                                                          "active": False})
    assert changed.status_code == 200 and changed.json()["active"] is False
    assert api.post(f"/api/v1/webhooks/{webhook_id}/test").status_code == 409  # disabled
    assert api.client.delete(f"/api/v1/webhooks/{webhook_id}", headers=api.headers).status_code == 204
    assert api.get(f"/api/v1/webhooks/{webhook_id}").status_code == 404


def test_bad_input_is_a_422_naming_the_field_and_creates_nothing(api: Api) -> None:
    for body, field in (({"url": "ftp://example.com/"}, "url"), ({"url": "not a url"}, "url"),
                        ({"url": "https://example.com/", "event_types": ["orders"]}, "event_types"),
                        ({"url": "https://example.com/", "event_types": []}, "event_types")):
        answer = api.post("/api/v1/webhooks", body)
        assert answer.status_code == 422, answer.text
        assert field in answer.text
    assert api.get("/api/v1/webhooks").json()["total"] == 0


def test_an_accountant_may_read_but_not_change(tenant: TenantCtx, client: TestClient, api: Api) -> None:
    webhook_id = api.post("/api/v1/webhooks", {"url": "https://example.com/in"}).json()["id"]
    _, key = tenant.user("accountant")
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/webhooks", headers=headers).json()["total"] == 1
    assert client.post(f"/api/v1/webhooks/{webhook_id}/rotate-secret", headers=headers).status_code == 403
    _, sales_key = tenant.user("sales")
    assert client.get("/api/v1/webhooks", headers={"Authorization": f"Bearer {sales_key}"}).status_code == 403


def _signed_in(tenant: TenantCtx, client: TestClient, role: str) -> tuple[TestClient, str]:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    tenant.user(role, email=email, password=PASSWORD)
    client = TestClient(client.app)
    token = CSRF.search(client.get("/login").text)[1]
    answer = client.post("/login", data={"tenant": tenant.slug, "email": email, "password": PASSWORD,
                                          "csrf_token": token, "next": "/admin"}, follow_redirects=False)
    assert answer.status_code == 303
    return client, CSRF.search(client.get("/admin").text)[1]


def _post(client: TestClient, url: str, csrf: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data={**(data or {}), "csrf_token": csrf}, follow_redirects=False)


def test_the_admin_pages(tenant: TenantCtx, client: TestClient) -> None:
    admin, csrf = _signed_in(tenant, client, "administrator")
    assert "Webhooks" in admin.get("/admin").text
    assert "No webhooks." in admin.get("/admin/webhooks").text

    bad = _post(admin, "/admin/webhooks/new", csrf, {"url": "ftp://x", "event_types": "*", "active": "on"})
    assert bad.status_code == 422 and "must start with http:// or https://" in bad.text

    with receiver() as hook:
        made = _post(admin, "/admin/webhooks/new", csrf, {"url": hook.url, "description": "warehouse bridge",
                                                           "event_types": "webhook.test.v1", "active": "on"})
        assert made.status_code == 303
        page = admin.get(made.headers["location"]).text
        secret = SECRET.search(page)[1]  # shown once, in the flash message
        assert "shown only this once" in page
        again = admin.get(made.headers["location"]).text
        assert secret not in again and f"whsec_…{secret[-4:]}" in again
        webhook_id = int(made.headers["location"].rsplit("/", 1)[1])

        assert _post(admin, f"/admin/webhooks/{webhook_id}/test", csrf).status_code == 303
        deliver_due_webhooks(tenant.engine)
        domain.verify_signature(secret, hook.requests[0].headers[domain.SIGNATURE_HEADER], hook.requests[0].body)
        page = admin.get(f"/admin/webhooks/{webhook_id}").text
        assert "webhook.test.v1" in page and "HTTP 200" in page and " ms" in page

        hook.status = 503
        delivery = re.search(rf"/admin/webhooks/{webhook_id}/deliveries/(\d+)/resend", page)
        assert delivery is not None
        assert _post(admin, delivery[0], csrf).status_code == 303
        deliver_due_webhooks(tenant.engine)
        assert "HTTP 503" in admin.get(f"/admin/webhooks/{webhook_id}").text

    rotated = _post(admin, f"/admin/webhooks/{webhook_id}/rotate-secret", csrf)
    new_secret = SECRET.search(admin.get(rotated.headers["location"]).text)[1]
    assert new_secret != secret

    edit = _post(admin, f"/admin/webhooks/{webhook_id}", csrf, {"url": hook.url, "event_types": "bad type"})
    assert edit.status_code == 422 and "versioned event type" in edit.text
    saved = _post(admin, f"/admin/webhooks/{webhook_id}", csrf, {"url": hook.url, "description": "warehouse bridge",
                                                                  "event_types": "*"})
    assert saved.status_code == 303
    listing = admin.get("/admin/webhooks", params={"q": "warehouse", "sort": "-url"}).text
    assert hook.url in listing and "disabled" in listing  # saved without "active"
    assert "No webhooks." in admin.get("/admin/webhooks", params={"q": "nothing like it"}).text

    # An accountant reads the page, without forms; a sales user may not open it.
    reader, _ = _signed_in(tenant, client, "accountant")
    page = reader.get(f"/admin/webhooks/{webhook_id}").text
    assert "Delivery log" in page and "Rotate secret" not in page
    sales, _ = _signed_in(tenant, client, "sales")
    assert sales.get("/admin/webhooks").status_code == 403

    assert _post(admin, f"/admin/webhooks/{webhook_id}/delete", csrf).status_code == 303
    assert admin.get(f"/admin/webhooks/{webhook_id}").status_code == 404

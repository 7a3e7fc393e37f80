"""Products, SKUs, barcodes, brands and categories: services and the /api/v1/catalog API."""

import pytest
from pydantic import ValidationError

from stockyard.catalog import queries
from stockyard.catalog.domain import gs1_check_digit, guess_barcode_kind, validate_barcode
from stockyard.catalog.services import CreateProduct, add_barcode, create_product, get_or_create_category
from stockyard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from stockyard.core.uow import perform, read
from tests.conftest import Api, TenantCtx, new_tenant
from tests.inventory.support import assert_refused, events, role_actor, tenant_rows

CATALOG = "/api/v1/catalog"
PADS = {
    "name": "Brake pad set, front", "brand": "Acme", "category": "Brakes/Pads", "part_number": "OEM-4471",
    "skus": [
        {"code": "BP-100", "name": "Pad set 100", "weight_g": 1200, "barcodes": [
            {"code": "4006381333931", "kind": "ean13"}]},
        {"code": "BP-101", "barcodes": [{"code": "036000291452", "kind": "upca"},
                                        {"code": "BP101-X", "kind": "code128"}]},
    ],
}


def _create(ctx: TenantCtx, **changes: object) -> int:
    return perform(ctx.engine, ctx.actor, create_product, CreateProduct(**{**PADS, **changes}))


# --- barcodes (pure) -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("digits", "check"), [("400638133393", 1), ("03600029145", 2), ("590123412345", 7)])
def test_gs1_check_digits(digits: str, check: int) -> None:
    assert gs1_check_digit(digits) == check


@pytest.mark.parametrize(
    ("code", "kind"),
    [("4006381333932", "ean13"), ("400638133393", "ean13"), ("40063813339X1", "ean13"), ("036000291453", "upca"),
     ("", "code128"), ("x" * 65, "code128"), ("tab\there", "code128"), ("4006381333931", "qr")],
)
def test_bad_barcodes_are_refused_naming_the_field(code: str, kind: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        validate_barcode(code, kind, field="skus[0].barcodes[0].code")
    assert info.value.field == "skus[0].barcodes[0].code"


def test_good_barcodes_are_accepted_and_their_kind_guessed() -> None:
    assert validate_barcode(" 4006381333931 ", "ean13") == "4006381333931"
    assert validate_barcode("036000291452", "upca") == "036000291452"
    assert [guess_barcode_kind(c) for c in ("4006381333931", "036000291452", "BP-100")] == ["ean13", "upca",
                                                                                            "code128"]


# --- products through the services ---------------------------------------------------------------------------------


def test_a_product_is_created_with_its_skus_brand_category_and_barcodes(tenant):
    product_id = _create(tenant)

    detail = read(tenant.engine, tenant.actor, queries.sku_detail, "BP-100")
    assert {k: detail[k] for k in ("code", "name", "product_id", "product", "part_number", "brand", "weight_g",
                                   "tracking", "unit")} == {
        "code": "BP-100", "name": "Pad set 100", "product_id": product_id, "product": "Brake pad set, front",
        "part_number": "OEM-4471", "brand": "Acme", "weight_g": 1200, "tracking": "none", "unit": "pcs"}
    assert detail["barcodes"] == [{"code": "4006381333931", "kind": "ean13"}]
    other = read(tenant.engine, tenant.actor, queries.sku_detail, "BP-101")
    assert other["name"] == "Brake pad set, front"  # a SKU without a name takes the product's
    assert {b["kind"] for b in other["barcodes"]} == {"upca", "code128"}
    assert set(read(tenant.engine, tenant.actor, queries.category_paths).values()) == {"Brakes", "Brakes/Pads"}
    [event] = events(tenant, "product.created.v1")
    assert (event["product_id"], event["skus"]) == (product_id, ["BP-100", "BP-101"])


def test_categories_are_found_by_path_and_reused(tenant):
    _create(tenant)
    _create(tenant, name="Discs", category="Brakes/Discs", skus=[{"code": "BD-1"}])
    _create(tenant, name="More pads", brand="Acme", category=" Brakes / Pads ", skus=[{"code": "BP-200"}])
    assert sorted(read(tenant.engine, tenant.actor, queries.category_paths).values()) == [
        "Brakes", "Brakes/Discs", "Brakes/Pads"]
    pads = perform(tenant.engine, tenant.actor, get_or_create_category, "Brakes/Pads")
    assert perform(tenant.engine, tenant.actor, get_or_create_category, "Brakes/Pads/") == pads


@pytest.mark.parametrize(
    ("query", "codes"),
    [("BP-10", ["BP-100", "BP-101"]), ("pad set 100", ["BP-100"]), ("oem-4471", ["BP-100", "BP-101"]),
     ("4006381333931", ["BP-100"]), ("BP101-X", ["BP-101"]), ("nothing-like-it", [])],
)
def test_skus_are_found_by_code_name_part_number_and_barcode(tenant, query, codes):
    _create(tenant)
    _create(tenant, name="Wiper", brand=None, category=None, part_number="", skus=[{"code": "WB-1"}])
    page = read(tenant.engine, tenant.actor, queries.search_skus, query, 1, 50)
    assert [s["code"] for s in page.items] == codes


BAD_PRODUCTS = [
    ({"skus": [{"code": "BP-100"}]}, Conflict, "skus"),  # exists already
    ({"skus": [{"code": "N-1"}, {"code": "N-1"}]}, ValidationFailed, "skus"),
    ({"skus": [{"code": "N-1", "barcodes": [{"code": "4006381333932", "kind": "ean13"}]}]}, ValidationFailed,
     "skus[0].barcodes[0].code"),
    ({"skus": [{"code": "N-1"}, {"code": "N-2", "barcodes": [{"code": "12345", "kind": "upca"}]}]},
     ValidationFailed, "skus[1].barcodes[0].code"),
    ({"skus": [{"code": "N-1", "barcodes": [{"code": "4006381333931", "kind": "ean13"}]}]}, Conflict, "skus"),
    ({"skus": [{"code": "N-1", "barcodes": [{"code": "X1", "kind": "code128"}]},
               {"code": "N-2", "barcodes": [{"code": "X1", "kind": "code128"}]}]}, ValidationFailed, "skus"),
    ({"category": " / ", "skus": [{"code": "N-1"}]}, ValidationFailed, "category"),
    ({"brand": "  ", "skus": [{"code": "N-1"}]}, ValidationFailed, "brand"),
]


def test_a_bad_product_is_refused_and_changes_nothing(tenant, subtests):
    _create(tenant)
    for changes, error, field in BAD_PRODUCTS:
        with subtests.test(str(changes)):
            assert_refused(tenant, error, field, create_product, CreateProduct(**{**PADS, "name": "New", **changes}))


@pytest.mark.parametrize(
    ("changes", "loc"),
    [({"name": ""}, ("name",)), ({"skus": []}, ("skus",)), ({"skus": [{"code": "has space"}]}, ("skus", 0, "code")),
     ({"skus": [{"code": "N-1", "weight_g": -5}]}, ("skus", 0, "weight_g")),
     ({"skus": [{"code": "N-1", "tracking": "batch"}]}, ("skus", 0, "tracking")),
     ({"colour": "red"}, ("colour",))],
)
def test_malformed_products_are_refused_before_anything_runs(changes, loc):
    with pytest.raises(ValidationError) as info:
        CreateProduct(**{**PADS, **changes})
    assert info.value.errors()[0]["loc"] == loc


def test_a_barcode_can_be_added_once(tenant):
    _create(tenant)
    perform(tenant.engine, tenant.actor, add_barcode, sku="BP-100", code="5901234123457", kind="ean13")
    assert read(tenant.engine, tenant.actor, queries.search_skus, "5901234123457", 1, 50).items[0]["code"] == "BP-100"
    assert_refused(tenant, Conflict, "code", add_barcode, sku="BP-101", code="5901234123457", kind="ean13")
    assert_refused(tenant, ValidationFailed, "code", add_barcode, sku="BP-101", code="5901234123458", kind="ean13")
    assert_refused(tenant, NotFound, "sku", add_barcode, sku="NOPE", code="4006381333948", kind="ean13")


def test_editing_the_catalog_needs_the_edit_permission(tenant):
    for role in ("read_only", "warehouse_operator", "sales"):
        assert_refused(tenant, PermissionDenied, "permission", create_product, CreateProduct(**PADS),
                       actor=role_actor(tenant, role))
    perform(tenant.engine, role_actor(tenant, "warehouse_manager"), create_product, CreateProduct(**PADS))


def test_two_tenants_may_use_the_same_codes_and_barcodes(tenant, engine):
    other = new_tenant(engine)
    _create(tenant)
    _create(other, part_number="THEIRS")
    assert read(tenant.engine, tenant.actor, queries.sku_detail, "BP-100")["part_number"] == "OEM-4471"
    assert read(other.engine, other.actor, queries.sku_detail, "BP-100")["part_number"] == "THEIRS"
    assert read(tenant.engine, tenant.actor, queries.search_skus, "THEIRS", 1, 50).items == []


# --- the API ---------------------------------------------------------------------------------------------------


def test_products_through_the_api(tenant, api):
    response = api.post(f"{CATALOG}/products", PADS)
    assert response.status_code == 201, response.text
    product_id = response.json()["id"]
    found = api.get(f"{CATALOG}/skus", params={"q": "OEM-4471"}).json()
    assert (found["total"], [s["code"] for s in found["items"]]) == (2, ["BP-100", "BP-101"])
    detail = api.get(f"{CATALOG}/skus/BP-100").json()
    assert (detail["product_id"], detail["brand"]) == (product_id, "Acme")
    response = api.post(f"{CATALOG}/skus/BP-100/barcodes", {"code": "5901234123457", "kind": "ean13"})
    assert response.status_code == 201, response.text
    assert len(api.get(f"{CATALOG}/skus/BP-100").json()["barcodes"]) == 2
    page = api.get(f"{CATALOG}/skus", params={"per_page": 1, "page": 2}).json()
    assert (page["total"], page["page"], [s["code"] for s in page["items"]]) == (2, 2, ["BP-101"])


def test_bad_catalog_input_through_the_api_names_the_field_and_changes_nothing(tenant, api, subtests):
    api.post(f"{CATALOG}/products", PADS)
    cases = [
        ("duplicate SKU", "/products", {**PADS, "name": "Again"}, 409, "skus"),
        ("empty name", "/products", {**PADS, "name": ""}, 422, "name"),
        ("code with a space", "/products", {"name": "X", "skus": [{"code": "A B"}]}, 422, "skus[0].code"),
        ("wrong check digit", "/products", {"name": "X", "skus": [{"code": "A-1", "barcodes": [
            {"code": "4006381333932", "kind": "ean13"}]}]}, 422, "skus[0].barcodes[0].code"),
        ("no SKUs", "/products", {"name": "X", "skus": []}, 422, "skus"),
        ("weight as text", "/products", {"name": "X", "skus": [{"code": "A-1", "weight_g": "heavy"}]}, 422,
         "skus[0].weight_g"),
        ("barcode for an unknown SKU", "/skus/NOPE/barcodes", {"code": "5901234123457", "kind": "ean13"}, 404, "sku"),
        ("barcode in use", "/skus/BP-101/barcodes", {"code": "4006381333931", "kind": "ean13"}, 409, "code"),
        ("unknown barcode kind", "/skus/BP-101/barcodes", {"code": "4006381333931", "kind": "qr"}, 422, "code"),
    ]
    for what, path, body, status, field in cases:
        with subtests.test(what):
            before = tenant_rows(tenant)
            response = api.post(CATALOG + path, body)
            assert response.status_code == status, response.text
            assert response.json()["error"]["field"] == field
            assert tenant_rows(tenant) == before
    missing = api.get(f"{CATALOG}/skus/NOPE")
    assert (missing.status_code, missing.json()["error"]["field"]) == (404, "code")


def test_a_read_only_user_can_search_but_not_create(tenant, client):
    _, key = tenant.user("read_only")
    reader = Api(client, {"Authorization": f"Bearer {key}"})
    assert reader.get(f"{CATALOG}/skus").status_code == 200
    response = reader.post(f"{CATALOG}/products", PADS)
    assert response.status_code == 403
    assert response.json()["error"]["field"] == "permission"
    assert reader.get(f"{CATALOG}/skus").json()["total"] == 0

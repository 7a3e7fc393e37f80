"""Admin lists in-process, signed in as the owner: search narrows, a column header sorts (a second click reverses),
page 2 follows the sort, and a sort the list does not know falls back to the default order.

Price lists go through the generic list of web/admin_crud.py; shipping carriers and zones, attributes, roles and
API keys through their own pages. Each list shows 50 rows a page, so the setups make a few more than that.
"""

import re
from pathlib import Path

from fastapi.testclient import TestClient

from stockyard.catalog import attributes, pricing
from stockyard.fulfilment import config
from stockyard.identity import roles
from stockyard.identity.services import create_api_key
from stockyard.sales import channels
from tests.conftest import TenantCtx
from tests.identity.auth_support import browser, login, make_app, new_user

PRICE_LIST = re.compile(r'<a href="/admin/price-lists/\d+">([^<]+)</a>')
CARRIER = re.compile(r'<a href="/admin/shipping/carriers/\d+">([^<]+)</a>')
ZONE = re.compile(r'<a href="/admin/shipping/zones/\d+">([^<]+)</a>')
ATTRIBUTE = re.compile(r'<a href="/admin/catalog/attributes/\d+">([^<]+)</a>')
ROLE = re.compile(r'<a href="/admin/roles/(?:builtin/)?[\w]+">([^<]+)</a>')
KEY = re.compile(r'<tr>\s*<td>([^<]*)</td><td>[^<]*</td><td class="sku-code">')
BAD_SORTS = ("drop table", "name; DROP TABLE users", "-", "--name", "id")


def _owner(ctx: TenantCtx, tmp_path: Path) -> TestClient:
    client = browser(make_app(ctx, tmp_path))
    _, email = new_user(ctx, "owner")
    assert login(client, ctx, email).status_code == 303
    return client


def _names(client: TestClient, url: str, pattern: re.Pattern[str], **params: str | int) -> list[str]:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text[:500]
    return pattern.findall(response.text)


def test_price_lists_search_sort_and_page(tenant: TenantCtx, tmp_path: Path) -> None:
    with tenant.uow() as uow:
        for code in ("WEB", "B2B"):
            channels.create_channel(uow, channels.ChannelIn(code=code, name=code, kind="storefront", currency="EUR"))
        for i in range(52):
            pricing.create_price_list(uow, pricing.PriceListIn(name=f"Retail {i:02}", channel="WEB", priority=i % 5))
        pricing.create_price_list(uow, pricing.PriceListIn(name="Wholesale", channel="B2B", priority=9))
    client = _owner(tenant, tmp_path)
    url = "/admin/price-lists"

    assert _names(client, url, PRICE_LIST, q="whole") == ["Wholesale"]
    assert _names(client, url, PRICE_LIST, q="b2b") == ["Wholesale"]  # the channel's code
    by_name = _names(client, url, PRICE_LIST, sort="name")
    assert by_name == [f"Retail {i:02}" for i in range(50)]
    assert _names(client, url, PRICE_LIST, sort="name", page=2) == ["Retail 50", "Retail 51", "Wholesale"]
    assert _names(client, url, PRICE_LIST, sort="-name")[:2] == ["Wholesale", "Retail 51"]
    by_priority = _names(client, url, PRICE_LIST, sort="-priority")
    assert by_priority[0] == "Wholesale" and by_priority[1:11] == sorted(by_priority[1:11])
    assert set(by_priority[1:11]) == {f"Retail {i:02}" for i in range(52) if i % 5 == 4}
    # The default (by channel: B2B before WEB) for a sort the list does not know, and no error.
    default = _names(client, url, PRICE_LIST)
    assert default[0] == "Wholesale"
    for bad in BAD_SORTS:
        assert _names(client, url, PRICE_LIST, sort=bad) == default

    page = client.get(url, params={"sort": "name", "q": "retail", "page": 2}).text
    # The sorted column's header reverses the order and keeps the search, starting again at page 1.
    assert re.search(r'aria-sort="ascending">\s*<a class="sort sorted" '
                     r'href="/admin/price-lists\?sort=-name&amp;q=retail"', page)
    assert 'href="/admin/price-lists?sort=channel&amp;q=retail"' in page
    assert 'rel="prev" href="/admin/price-lists?sort=name&amp;q=retail&amp;page=1"' in page


def test_shipping_carriers_and_zones_search_sort_and_page(tenant: TenantCtx, tmp_path: Path) -> None:
    with tenant.uow() as uow:
        for i in range(53):  # the names run the other way round from the codes
            config.create_carrier(uow, config.CarrierIn(code=f"c{i:02}", name=f"Carrier {99 - i}"))
        for position, name in ((30, "Alps"), (10, "Germany"), (20, "Benelux")):
            config.create_zone(uow, config.ZoneIn(name=name, countries=["DE"], position=position))
    client = _owner(tenant, tmp_path)
    url = "/admin/shipping"

    assert _names(client, url, CARRIER, tab="carriers") == [f"c{i:02}" for i in range(50)]
    assert _names(client, url, CARRIER, tab="carriers", page=2) == ["c50", "c51", "c52"]
    assert _names(client, url, CARRIER, tab="carriers", sort="name", page=2) == ["c02", "c01", "c00"]
    assert _names(client, url, CARRIER, tab="carriers", sort="-code")[:2] == ["c52", "c51"]
    assert _names(client, url, CARRIER, tab="carriers", q="carrier 5") == [f"c{i}" for i in range(40, 50)]
    assert _names(client, url, CARRIER, tab="carriers", q="carrier 5", sort="-name")[0] == "c40"
    for bad in BAD_SORTS:
        assert _names(client, url, CARRIER, tab="carriers", sort=bad, page=2) == ["c50", "c51", "c52"]

    assert _names(client, url, ZONE) == ["Germany", "Benelux", "Alps"]  # the order zones are tried in
    assert _names(client, url, ZONE, sort="name") == ["Alps", "Benelux", "Germany"]
    assert _names(client, url, ZONE, sort="-position") == ["Alps", "Benelux", "Germany"]
    assert _names(client, url, ZONE, q="ben") == ["Benelux"]
    page = client.get(url, params={"tab": "zones", "sort": "name"}).text
    assert 'href="/admin/shipping?tab=zones&amp;sort=-name"' in page  # the header keeps the tab


def test_attributes_search_sort_and_page(tenant: TenantCtx, tmp_path: Path) -> None:
    with tenant.uow() as uow:
        for i in range(51):
            attributes.define_attribute(uow, attributes.AttributeIn(name=f"Size {i:02}", type="number",
                                                                    unit="mm" if i % 2 else "cm"))
        attributes.define_attribute(uow, attributes.AttributeIn(name="Colour", type="text"))
    client = _owner(tenant, tmp_path)
    url = "/admin/catalog/attributes"

    assert _names(client, url, ATTRIBUTE)[:2] == ["Colour", "Size 00"]
    assert _names(client, url, ATTRIBUTE, page=2) == ["Size 49", "Size 50"]
    assert _names(client, url, ATTRIBUTE, sort="-name")[:2] == ["Size 50", "Size 49"]
    assert _names(client, url, ATTRIBUTE, sort="-type")[:2] == ["Colour", "Size 00"]
    assert _names(client, url, ATTRIBUTE, q="colo") == ["Colour"]
    assert len(_names(client, url, ATTRIBUTE, q="cm")) == 26  # the unit
    assert _names(client, url, ATTRIBUTE, sort="nope", page=2) == ["Size 49", "Size 50"]


def test_roles_search_sort_and_page(tenant: TenantCtx, tmp_path: Path) -> None:
    with tenant.uow() as uow:
        for i in range(46):  # with the 7 built-in roles: 53
            roles.create_role(uow, roles.RoleIn(name=f"role_{i:02}", description="custom" if i else "the first",
                                                permissions=["catalog.view"] if i % 2 else ["catalog.view",
                                                                                              "catalog.edit"]))
    client = _owner(tenant, tmp_path)
    url = "/admin/roles"

    default = _names(client, url, ROLE)
    assert default[0] == "owner" and default[7:9] == ["role_00", "role_01"] and len(default) == 50
    assert _names(client, url, ROLE, page=2) == ["role_43", "role_44", "role_45"]
    by_name = _names(client, url, ROLE, sort="name")
    assert by_name[:3] == ["accountant", "administrator", "owner"]
    assert by_name[3:5] == ["read_only", "role_00"] and by_name[-1] == "role_45"
    assert _names(client, url, ROLE, sort="name", page=2) == ["sales", "warehouse_manager", "warehouse_operator"]
    assert _names(client, url, ROLE, sort="-name")[0] == "warehouse_operator"
    assert _names(client, url, ROLE, sort="-users")[0] == "owner"  # the only role anyone holds
    assert _names(client, url, ROLE, q="role_1") == [f"role_{i}" for i in range(10, 20)]
    assert _names(client, url, ROLE, q="first") == ["role_00"]  # the description
    assert _names(client, url, ROLE, q="warehouse man") == ["warehouse_manager"]
    for bad in BAD_SORTS:
        assert _names(client, url, ROLE, sort=bad) == default


def test_api_keys_search_sort_and_page(tenant: TenantCtx, tmp_path: Path) -> None:
    client = _owner(tenant, tmp_path)  # the owner's own key from the fixture is called "tests"
    user_id, _ = new_user(tenant, "read_only")
    with tenant.uow() as uow:
        for i in range(52):
            create_api_key(uow, user_id=user_id, name=f"sync {i:02}")
    url = "/admin/api-keys"

    assert _names(client, url, KEY, sort="name") == [f"sync {i:02}" for i in range(50)]
    assert _names(client, url, KEY, sort="name", page=2) == ["sync 50", "sync 51", "tests", "tests"]
    assert _names(client, url, KEY, sort="-name")[:3] == ["tests", "tests", "sync 51"]
    assert _names(client, url, KEY, q="sync 4") == [f"sync {i}" for i in range(49, 39, -1)]  # the newest first
    oldest = ["tests", "sync 00", "sync 01"]  # the read-only user's key from the fixture, then ours
    assert _names(client, url, KEY, q="read_only user", sort="created")[:3] == oldest
    assert len(_names(client, url, KEY, q="read_only user")) == 50  # by the user's name, 53 in all
    for bad in BAD_SORTS:
        assert _names(client, url, KEY, sort=bad, page=2) == _names(client, url, KEY, page=2)


CHANNEL = re.compile(r'<a href="/admin/channels/\d+">([^<]+)</a>')
PAYMENT = re.compile(r'<a href="/admin/payments/\d+">([^<]+)</a>')


def test_channels_and_payment_methods_sort(tenant: TenantCtx, tmp_path: Path) -> None:
    from stockyard.billing import config as payment_config

    with tenant.uow() as uow:
        for code, currency in (("WEB", "EUR"), ("B2B", "CHF"), ("APP", "USD")):
            channels.create_channel(uow, channels.ChannelIn(code=code, name=f"Shop {code}", currency=currency))
        for name, gateway in (("Card", "test"), ("Bank", "manual_bank_transfer"), ("Cash", "cash_on_delivery")):
            settings = {"outcome": "approve"} if gateway == "test" else (
                {"account_holder": "Acme", "iban": "DE89370400440532013000"} if gateway == "manual_bank_transfer"
                else {})
            payment_config.create_payment_method(uow, payment_config.PaymentMethodIn(name=name, gateway=gateway,
                                                                                    settings=settings))
    client = _owner(tenant, tmp_path)
    assert _names(client, "/admin/channels", CHANNEL) == ["APP", "B2B", "WEB"]
    assert _names(client, "/admin/channels", CHANNEL, sort="currency") == ["B2B", "WEB", "APP"]
    assert _names(client, "/admin/channels", CHANNEL, sort="-code") == ["WEB", "B2B", "APP"]
    assert _names(client, "/admin/payments", PAYMENT, sort="name") == ["Bank", "Card", "Cash"]
    assert _names(client, "/admin/payments", PAYMENT, sort="-gateway") == ["Card", "Bank", "Cash"]
    for bad in BAD_SORTS:
        assert _names(client, "/admin/channels", CHANNEL, sort=bad) == ["APP", "B2B", "WEB"]

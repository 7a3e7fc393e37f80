"""Named permissions bundled into built-in roles."""

INVENTORY_VIEW = "inventory.view"
INVENTORY_RECEIVE = "inventory.receive"
INVENTORY_MOVE = "inventory.move"
INVENTORY_TRANSFER = "inventory.transfer"
INVENTORY_ADJUST = "inventory.adjust"
INVENTORY_RESERVE = "inventory.reserve"
INVENTORY_COUNT = "inventory.count"
INVENTORY_COUNT_APPROVE = "inventory.count.approve"
INVENTORY_CONFIGURE = "inventory.configure"
CATALOG_VIEW = "catalog.view"
CATALOG_EDIT = "catalog.edit"
USERS_MANAGE = "users.manage"
PRICING_EDIT = "pricing.edit"
SETTINGS_VIEW = "settings.view"
SETTINGS_MANAGE = "settings.manage"
ORDERS_VIEW = "orders.view"
ORDERS_CANCEL = "orders.cancel"
ORDERS_PLACE = "orders.place"
ORDERS_MANAGE = "orders.manage"
FULFILMENT_SHIP = "fulfilment.ship"
RETURNS_VIEW = "returns.view"
RETURNS_REFUND = "returns.refund"
RETURNS_MANAGE = "returns.manage"
ROLES_MANAGE = "roles.manage"
API_KEYS_MANAGE = "api_keys.manage"
AUDIT_VIEW = "audit.view"
TENANTS_MANAGE = "tenants.manage"
PURCHASING_VIEW = "purchasing.view"
PURCHASING_EDIT = "purchasing.edit"
PURCHASING_RECEIVE = "purchasing.receive"
FULFILMENT_PICK = "fulfilment.pick"
FULFILMENT_PACK = "fulfilment.pack"
INTEGRATION_VIEW = "integration.view"
INTEGRATION_MANAGE = "integration.manage"
CHANNELS_MANAGE = "channels.manage"
ACCOUNTING_VIEW = "accounting.view"
# Close and reopen periods, post landed costs, import gateway settlements, edit the chart of accounts and tax rates.
ACCOUNTING_MANAGE = "accounting.manage"
ANALYTICS_VIEW = "analytics.view"

ALL_PERMISSIONS = frozenset(
    {
        INVENTORY_VIEW,
        INVENTORY_RECEIVE,
        INVENTORY_MOVE,
        INVENTORY_TRANSFER,
        INVENTORY_ADJUST,
        INVENTORY_RESERVE,
        INVENTORY_COUNT,
        INVENTORY_COUNT_APPROVE,
        INVENTORY_CONFIGURE,
        CATALOG_VIEW,
        CATALOG_EDIT,
        USERS_MANAGE,
        PRICING_EDIT,
        SETTINGS_VIEW,
        SETTINGS_MANAGE,
        ORDERS_VIEW,
        ORDERS_CANCEL,
        ORDERS_PLACE,
        ORDERS_MANAGE,
        FULFILMENT_SHIP,
        RETURNS_VIEW,
        RETURNS_REFUND,
        RETURNS_MANAGE,
        ROLES_MANAGE,
        API_KEYS_MANAGE,
        AUDIT_VIEW,
        TENANTS_MANAGE,
        PURCHASING_VIEW,
        PURCHASING_EDIT,
        PURCHASING_RECEIVE,
        FULFILMENT_PICK,
        FULFILMENT_PACK,
        INTEGRATION_VIEW,
        INTEGRATION_MANAGE,
        CHANNELS_MANAGE,
        ACCOUNTING_VIEW,
        ACCOUNTING_MANAGE,
        ANALYTICS_VIEW,
    }
)

_OPERATOR = frozenset(
    {INVENTORY_VIEW, INVENTORY_RECEIVE, INVENTORY_MOVE, INVENTORY_TRANSFER, INVENTORY_COUNT, CATALOG_VIEW}
)

ROLES: dict[str, frozenset[str]] = {
    "owner": ALL_PERMISSIONS,
    # Creating tenants is for owners only.
    "administrator": ALL_PERMISSIONS - {TENANTS_MANAGE},
    "warehouse_manager": _OPERATOR
    | {INVENTORY_ADJUST, INVENTORY_RESERVE, INVENTORY_COUNT_APPROVE, INVENTORY_CONFIGURE, CATALOG_EDIT, SETTINGS_VIEW,
       ORDERS_VIEW, RETURNS_VIEW, RETURNS_MANAGE, FULFILMENT_SHIP, FULFILMENT_PICK, FULFILMENT_PACK, PURCHASING_VIEW,
       PURCHASING_EDIT, PURCHASING_RECEIVE, ANALYTICS_VIEW},
    # Operators pick, pack, print labels and ship. Shipping consumes the order's reservations and a short pick
    # re-allocates it: the services grant that for the step (UnitOfWork.granting), so operators need no
    # inventory.reserve of their own, which would let them hold stock at will.
    "warehouse_operator": _OPERATOR | {FULFILMENT_SHIP, FULFILMENT_PICK, FULFILMENT_PACK, PURCHASING_VIEW,
                                       PURCHASING_RECEIVE},
    "sales": frozenset({INVENTORY_VIEW, INVENTORY_RESERVE, CATALOG_VIEW, SETTINGS_VIEW, ORDERS_VIEW, ORDERS_CANCEL,
                        ORDERS_PLACE, ORDERS_MANAGE, RETURNS_VIEW, RETURNS_MANAGE, PURCHASING_VIEW, ANALYTICS_VIEW}),
    "accountant": frozenset({INVENTORY_VIEW, CATALOG_VIEW, SETTINGS_VIEW, ORDERS_VIEW, RETURNS_VIEW, RETURNS_REFUND,
                             AUDIT_VIEW, PURCHASING_VIEW, ACCOUNTING_VIEW, ACCOUNTING_MANAGE, INTEGRATION_VIEW,
                             ANALYTICS_VIEW}),
    "read_only": frozenset({INVENTORY_VIEW, CATALOG_VIEW, SETTINGS_VIEW, ORDERS_VIEW, RETURNS_VIEW,
                           PURCHASING_VIEW}),
}


# What an anonymous storefront visitor (or a signed-in customer) may do through the shop's own actor.
STOREFRONT = frozenset({CATALOG_VIEW, INVENTORY_VIEW, INVENTORY_RESERVE, ORDERS_PLACE})


def permissions_for(role: str) -> frozenset[str]:
    return ROLES.get(role, frozenset())


def parse_warehouse_ids(value: str) -> frozenset[int] | None:
    ids = frozenset(int(part) for part in value.split(",") if part.strip())
    return ids or None

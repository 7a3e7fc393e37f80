"""Who is acting: resolved at the edge (API key, session, CLI), checked by services."""

from dataclasses import dataclass, field

from stockyard.core.errors import PermissionDenied


@dataclass(frozen=True)
class Actor:
    tenant_id: int
    user_id: int | None
    name: str
    permissions: frozenset[str] = field(default_factory=frozenset)
    # None means every warehouse; otherwise the warehouses this actor may work in.
    warehouse_ids: frozenset[int] | None = None

    def can(self, permission: str) -> bool:
        return permission in self.permissions or "*" in self.permissions

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise PermissionDenied(f"'{self.name}' lacks the permission {permission}", field="permission")

    def require_warehouse(self, warehouse_id: int) -> None:
        if self.warehouse_ids is not None and warehouse_id not in self.warehouse_ids:
            raise PermissionDenied(f"'{self.name}' may not work in warehouse {warehouse_id}", field="warehouse")


def system_actor(tenant_id: int, name: str = "system") -> Actor:
    """The actor for jobs and the CLI: all permissions within one tenant."""
    return Actor(tenant_id=tenant_id, user_id=None, name=name, permissions=frozenset({"*"}))

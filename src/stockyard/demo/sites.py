"""The demo warehouses and their location trees: zones, aisles and bins such as MAIN/A/01/03."""

from dataclasses import dataclass, field

from sqlalchemy import Engine

from stockyard.core.actor import Actor
from stockyard.core.progress import Advance
from stockyard.core.uow import UnitOfWork, perform
from stockyard.inventory.warehouses import CreateLocation, CreateWarehouse, create_location, create_warehouse


@dataclass(frozen=True)
class Zone:
    code: str
    name: str
    type: str
    aisles: int  # 0: the bins sit directly in the zone
    bins: int  # per aisle, or in the zone


@dataclass(frozen=True)
class Site:
    code: str
    name: str
    address: str
    priority: int
    zones: tuple[Zone, ...]


SITES = (
    Site("MAIN", "Main warehouse", "Industriestrasse 12, 70565 Stuttgart", 10, (
        Zone("RCV", "Receiving", "receiving", 0, 4),
        Zone("A", "Storage A, small parts", "storage", 8, 12),
        Zone("B", "Storage B, bulky parts", "storage", 4, 10),
        Zone("PICK", "Pick faces", "picking", 0, 30),
        Zone("PACK", "Packing stations", "packing", 0, 3),
        Zone("SHIP", "Shipping docks", "shipping", 0, 2),
        Zone("QUAR", "Quarantine", "quarantine", 0, 4),
    )),
    Site("NORTH", "North warehouse", "Hafenweg 3, 20457 Hamburg", 20, (
        Zone("RCV", "Receiving", "receiving", 0, 2),
        Zone("A", "Storage A, small parts", "storage", 4, 10),
        Zone("B", "Storage B, bulky parts", "storage", 2, 8),
        Zone("PICK", "Pick faces", "picking", 0, 12),
        Zone("PACK", "Packing station", "packing", 0, 1),
        Zone("SHIP", "Shipping dock", "shipping", 0, 1),
        Zone("QUAR", "Quarantine", "quarantine", 0, 2),
    )),
    Site("CITY", "City store", "Koenigstrasse 40, 70173 Stuttgart", 30, (
        Zone("RCV", "Goods in", "receiving", 0, 1),
        Zone("A", "Back store", "storage", 2, 8),
        Zone("PICK", "Counter shelves", "picking", 0, 6),
        Zone("QUAR", "Returns shelf", "quarantine", 0, 1),
    )),
)


@dataclass
class Layout:
    """Bin paths per warehouse and zone, e.g. bins["MAIN"]["A"] = ["MAIN/A/01/01", ...]."""

    warehouse_ids: dict[str, int] = field(default_factory=dict)
    bins: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def count(self) -> int:
        return sum(len(paths) for zones in self.bins.values() for paths in zones.values())


def _locations(site: Site) -> list[CreateLocation]:
    """Parents before children, in the order a person would set them up."""
    cmds = []
    for zone in site.zones:
        zone_path = f"{site.code}/{zone.code}"
        cmds.append(CreateLocation(warehouse=site.code, code=zone.code, name=zone.name, kind="zone", type=zone.type))
        if zone.aisles == 0:
            cmds += [CreateLocation(warehouse=site.code, parent=zone_path, code=f"{b:02d}", kind="bin",
                                    type=zone.type) for b in range(1, zone.bins + 1)]
            continue
        for a in range(1, zone.aisles + 1):
            cmds.append(CreateLocation(warehouse=site.code, parent=zone_path, code=f"{a:02d}", name=f"Aisle {a:02d}",
                                       kind="aisle", type=zone.type))
            cmds += [CreateLocation(warehouse=site.code, parent=f"{zone_path}/{a:02d}", code=f"{b:02d}", kind="bin",
                                    type=zone.type) for b in range(1, zone.bins + 1)]
    return cmds


def _bin_paths(site: Site) -> dict[str, list[str]]:
    paths: dict[str, list[str]] = {}
    for zone in site.zones:
        base = f"{site.code}/{zone.code}"
        if zone.aisles == 0:
            paths[zone.code] = [f"{base}/{b:02d}" for b in range(1, zone.bins + 1)]
        else:
            paths[zone.code] = [f"{base}/{a:02d}/{b:02d}" for a in range(1, zone.aisles + 1)
                                for b in range(1, zone.bins + 1)]
    return paths


def location_count() -> int:
    return sum(len(_locations(site)) for site in SITES)


def _build_site(uow: UnitOfWork, site: Site, advance: Advance) -> int:
    warehouse_id = create_warehouse(uow, CreateWarehouse(code=site.code, name=site.name, address=site.address,
                                                         priority=site.priority))
    for cmd in _locations(site):
        create_location(uow, cmd)
        advance(1)
    return warehouse_id


def build_sites(engine: Engine, actor: Actor, advance: Advance) -> Layout:
    """Each warehouse with its whole tree in one transaction."""
    layout = Layout()
    for site in SITES:
        layout.warehouse_ids[site.code] = perform(engine, actor, _build_site, site, advance)
        layout.bins[site.code] = _bin_paths(site)
    return layout

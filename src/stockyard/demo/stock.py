"""The demo's stock story, told through the inventory services so that the ledger explains every level.

Deliveries are received per brand and put away (one is still waiting in receiving), the other warehouses
get their own stock, a delivery sits in quarantine, some stock is damaged and written off, transfers run
between warehouses (one partly received, two on the road), one count is approved and two are open,
orders reserve stock (some shipped, some released, web orders with an expiry), and minimum-stock rules
are set for 60 SKUs, a dozen of them short. Every choice comes from the seeded generator passed in.
"""

import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Engine, select

from stockyard.catalog.models import Sku
from stockyard.core.actor import Actor
from stockyard.core.progress import Advance, Steps
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.demo.parts import DemoProduct
from stockyard.demo.sites import Layout
from stockyard.inventory import counts, movements, queries, reservations, transfers
from stockyard.inventory.domain import Status
from stockyard.inventory.min_stock import set_min_stock_rule

FAST_MOVERS = {"Filters/Oil", "Filters/Air", "Filters/Cabin", "Ignition/Spark plugs", "Brakes/Pads",
               "Wipers/Blades", "Lighting/Bulbs"}
AWAITING_PUTAWAY = "Denso"  # today's delivery from this brand is still in receiving
RULES = {"MAIN": 50, "NORTH": 10}
SHORT = {"MAIN": 10, "NORTH": 2}
RESOLVED = 3  # rules whose shortage was already fixed by a delivery, so the alert list has history


@dataclass(frozen=True)
class Item:
    code: str
    brand: str
    category: str
    cost: Decimal
    stock: int
    bulky: bool
    tracking: str


@dataclass
class Shelf:
    """Sellable units the story has placed, per (SKU, bin, lot), so that later steps only take what is there."""

    units: dict[tuple[str, str, str], int] = field(default_factory=lambda: defaultdict(int))

    def add(self, code: str, path: str, quantity: int, lot: str = "") -> None:
        self.units[(code, path, lot)] += quantity

    def take(self, code: str, path: str, quantity: int, lot: str = "") -> None:
        assert self.units[(code, path, lot)] >= quantity, (code, path, lot, quantity)
        self.units[(code, path, lot)] -= quantity

    def at(self, code: str, path: str, lot: str = "") -> int:
        return self.units.get((code, path, lot), 0)


@dataclass
class Story:
    engine: Engine
    manager: Actor
    operator: Actor
    layout: Layout
    rng: random.Random
    items: list[Item]
    shelf: Shelf = field(default_factory=Shelf)
    home: dict[str, str] = field(default_factory=dict)  # SKU → its storage bin in MAIN
    pick: dict[str, str] = field(default_factory=dict)  # fast mover → its pick bin in MAIN
    lots: dict[str, list[str]] = field(default_factory=dict)  # lot-tracked SKU → lots, oldest first
    documents: int = 24100

    def document(self, prefix: str) -> str:
        self.documents += self.rng.randint(1, 9)
        return f"{prefix}-{self.documents}"


def items_of(products: list[DemoProduct]) -> list[Item]:
    return [Item(s.code, p.command.brand or "", p.command.category or "", s.unit_cost, s.stock, s.bulky, s.tracking)
            for p in products for s in p.skus]


def tell(engine: Engine, manager: Actor, operator: Actor, layout: Layout, products: list[DemoProduct],
         rng: random.Random, steps: Steps) -> None:
    story = Story(engine, manager, operator, layout, rng, items_of(products))
    brands = sorted({item.brand for item in story.items})
    advance = steps.task("Deliveries and putaway", len(brands) + 3)
    _assign_home_bins(story)
    for brand in brands:
        _deliver_to_main(story, brand)
        advance(1)
    _stock_other_sites(story, advance)
    _quarantined_delivery(story)
    advance(1)
    advance = steps.task("Damage, transfers, counts, orders, rules", 5)
    _damage_and_write_offs(story)
    advance(1)
    _transfers(story)
    advance(1)
    _counts(story)
    advance(1)
    _orders(story)
    advance(1)
    _min_stock_rules(story)
    advance(1)


def _assign_home_bins(story: Story) -> None:
    small = story.layout.bins["MAIN"]["A"]
    bulky = story.layout.bins["MAIN"]["B"]
    ordered = sorted(story.items, key=lambda item: (item.category, item.code))
    n_small = sum(1 for item in ordered if not item.bulky)
    n_bulky = len(ordered) - n_small
    i_small = i_bulky = 0
    for item in ordered:
        # Spread evenly so that neighbouring SKUs of a category share aisles, as they would on a real floor.
        if item.bulky:
            story.home[item.code] = bulky[i_bulky * len(bulky) // max(n_bulky, 1)]
            i_bulky += 1
        else:
            story.home[item.code] = small[i_small * len(small) // max(n_small, 1)]
            i_small += 1
    # Fast movers get a pick face too, two SKUs per pick bin, spread over the catalog.
    pick_bins = story.layout.bins["MAIN"]["PICK"]
    fast = [item.code for item in ordered
            if item.category in FAST_MOVERS and item.brand != AWAITING_PUTAWAY and item.tracking == "none"]
    fast = fast[:: max(1, len(fast) // (2 * len(pick_bins)))][: 2 * len(pick_bins)]
    story.pick = {code: pick_bins[i // 2] for i, code in enumerate(fast)}


def _lot(story: Story) -> str:
    return f"L{story.rng.randint(2401, 2412)}-{story.rng.randint(100, 999)}"


def _receipts(story: Story, item: Item, location: str, quantity: int, document: str,
              status: Status = Status.SELLABLE) -> list[movements.ReceiveStock]:
    """Receipt lines for one SKU; a lot-tracked SKU arrives in two lots."""
    def line(qty: int, lot: str) -> movements.ReceiveStock:
        return movements.ReceiveStock(sku=item.code, location=location, quantity=qty, status=status,
                                      unit_cost=item.cost, lot=lot, document_type="delivery_note",
                                      document_id=document)

    if item.tracking == "none":
        return [line(quantity, "")]
    lots = story.lots.setdefault(item.code, [])
    if len(lots) < 2:
        lots += sorted(_lot(story) for _ in range(2 - len(lots)))
    older = max(1, quantity // 3)
    return [line(older, lots[0]), line(quantity - older, lots[1])] if quantity > 1 else [line(quantity, lots[0])]


def _deliver_to_main(story: Story, brand: str) -> None:
    receiving = story.layout.bins["MAIN"]["RCV"]
    dock = receiving[sum(map(ord, brand)) % len(receiving)]
    group = [item for item in story.items if item.brand == brand]
    document = story.document("DN")
    cmds = [cmd for item in group for cmd in _receipts(story, item, dock, item.stock, document)]
    perform(story.engine, story.operator, movements.receive_stock_batch, cmds)
    for cmd in cmds:
        story.shelf.add(str(cmd.sku), dock, cmd.quantity, cmd.lot)
    if brand == AWAITING_PUTAWAY:
        return
    moves = []
    for cmd in cmds:
        code = str(cmd.sku)
        quantity = cmd.quantity
        item_pick = story.pick.get(code)
        if item_pick and quantity >= 8 and not cmd.lot:
            to_pick = max(2, quantity // 4)
            moves.append(movements.MoveStock(sku=code, from_location=dock, to_location=item_pick,
                                             quantity=to_pick, reason="putaway"))
            quantity -= to_pick
        moves.append(movements.MoveStock(sku=code, from_location=dock, to_location=story.home[code],
                                         quantity=quantity, lot=cmd.lot, reason="putaway"))
    perform(story.engine, story.operator, movements.move_stock_batch, moves)
    for move in moves:
        story.shelf.take(str(move.sku), dock, move.quantity, move.lot)
        story.shelf.add(str(move.sku), str(move.to_location), move.quantity, move.lot)


def _stock_other_sites(story: Story, advance: Advance) -> None:
    """NORTH carries about half of the range, the CITY store a share of the fast movers."""
    rng = story.rng
    plans = []
    north_small, north_bulky = story.layout.bins["NORTH"]["A"], story.layout.bins["NORTH"]["B"]
    chosen = [item for item in story.items if rng.random() < 0.55]
    n = len(chosen)
    for i, item in enumerate(chosen):
        bins = north_bulky if item.bulky else north_small
        plans.append((item, bins[i * len(bins) // n], max(1, item.stock // 3)))
    north_doc = story.document("DN")
    perform(story.engine, story.manager, movements.receive_stock_batch,
            [c for item, path, qty in plans for c in _receipts(story, item, path, qty, north_doc)])
    advance(1)
    city_bins = story.layout.bins["CITY"]["A"] + story.layout.bins["CITY"]["PICK"]
    chosen = [item for item in story.items if item.category in FAST_MOVERS and rng.random() < 0.4]
    city_doc = story.document("DN")
    cmds = [c for i, item in enumerate(chosen) for c in _receipts(
        story, item, city_bins[i * len(city_bins) // len(chosen)], max(1, item.stock // 6), city_doc)]
    perform(story.engine, story.manager, movements.receive_stock_batch, cmds)
    advance(1)


def _stocked_in_main(story: Story, minimum: int) -> list[Item]:
    """SKUs whose storage bin in MAIN holds at least `minimum` units (no lot), in code order."""
    return [item for item in sorted(story.items, key=lambda x: x.code)
            if item.tracking == "none" and story.shelf.at(item.code, story.home[item.code]) >= minimum]


def _quarantined_delivery(story: Story) -> None:
    quarantine = story.layout.bins["MAIN"]["QUAR"][0]
    suspicious = story.rng.sample([item for item in story.items if item.tracking == "none"], 8)
    document = story.document("DN")
    cmds = [c for item in suspicious for c in _receipts(story, item, quarantine, max(2, item.stock // 5), document,
                                                          Status.QUARANTINE)]
    perform(story.engine, story.operator, movements.receive_stock_batch, cmds)


def _damage_and_write_offs(story: Story) -> None:
    rng = story.rng
    damage_bin = story.layout.bins["MAIN"]["QUAR"][1]
    damaged = rng.sample(_stocked_in_main(story, 6), 6)
    for n, item in enumerate(damaged):
        home = story.home[item.code]
        qty = rng.randint(1, 2)
        perform(story.engine, story.manager, movements.change_stock_status, movements.ChangeStockStatus(
            sku=item.code, location=home, quantity=qty, from_status=Status.SELLABLE, to_status=Status.DAMAGED,
            note="packaging crushed, found at stock check"))
        perform(story.engine, story.operator, movements.move_stock, movements.MoveStock(
            sku=item.code, from_location=home, to_location=damage_bin, quantity=qty, status=Status.DAMAGED))
        story.shelf.take(item.code, home, qty)
        if n < 3:
            perform(story.engine, story.manager, movements.write_off_stock, movements.WriteOffStock(
                sku=item.code, location=damage_bin, quantity=qty, status=Status.DAMAGED, reason="damaged",
                note="not repairable; scrapped"))
    lost, sample = rng.sample([i for i in _stocked_in_main(story, 4) if i not in damaged], 2)
    for item, reason, note in ((lost, "lost", "not found when picking"), (sample, "sample", "sample for a B2B client")):
        perform(story.engine, story.manager, movements.write_off_stock, movements.WriteOffStock(
            sku=item.code, location=story.home[item.code], quantity=1, reason=reason, note=note))
        story.shelf.take(item.code, story.home[item.code], 1)
    fluid = next(item for item in sorted(story.items, key=lambda x: x.code)
                 if item.tracking == "lot" and item.brand != AWAITING_PUTAWAY)
    old_lot = story.lots[fluid.code][0]
    expired = min(2, story.shelf.at(fluid.code, story.home[fluid.code], old_lot))
    perform(story.engine, story.manager, movements.write_off_stock, movements.WriteOffStock(
        sku=fluid.code, location=story.home[fluid.code], quantity=expired, lot=old_lot, reason="expired",
        note="past its best-before date"))
    story.shelf.take(fluid.code, story.home[fluid.code], expired, old_lot)


def _transfers(story: Story) -> None:
    """MAIN → NORTH: one received, one partly received, one on the road; MAIN → CITY: one on the road."""
    picked = story.rng.sample(_stocked_in_main(story, 8), 20)
    plans = (("NORTH", picked[:5], "weekly replenishment"), ("NORTH", picked[5:11], "replenishment, part 1"),
             ("NORTH", picked[11:15], "replenishment, part 2"), ("CITY", picked[15:], "store top-up"))
    ids = []
    for target, items, note in plans:
        lines = []
        for item in items:
            home = story.home[item.code]
            qty = max(2, story.shelf.at(item.code, home) // 4)
            lines.append(transfers.TransferLineIn(sku=item.code, from_location=home, quantity=qty))
            story.shelf.take(item.code, home, qty)
        ids.append(perform(story.engine, story.manager, transfers.dispatch_transfer,
                           transfers.DispatchTransfer(from_warehouse="MAIN", to_warehouse=target, lines=lines,
                                                      note=note)))
    dock = story.layout.bins["NORTH"]["RCV"][0]
    for transfer_id, partly in ((ids[0], False), (ids[1], True)):
        _, rows = read(story.engine, story.manager, queries.transfer_detail, transfer_id)
        landed = rows[:4] if partly else rows
        receive = [transfers.ReceiveLine(line_id=line.id, to_location=dock,
                                         quantity=line.quantity // 2 if partly and i == 3 else line.quantity)
                   for i, (line, _code, _path) in enumerate(landed)]
        perform(story.engine, story.manager, transfers.receive_transfer,
                transfers.ReceiveTransfer(transfer_id=transfer_id, lines=receive))


def _record(uow: UnitOfWork, cmds: list[counts.RecordCount]) -> None:
    for cmd in cmds:
        counts.record_count(uow, cmd)


def _count(story: Story, actor: Actor, warehouse: str, aisle: str, share: float, variances: int,
           approve: bool = False) -> None:
    """Open a count of one aisle and record `share` of its lines, `variances` of them off by a unit or two;
    with `approve`, the manager approves it, which posts the variances."""
    rng = story.rng
    count_id = perform(story.engine, actor, counts.open_count,
                       counts.OpenCount(warehouse=warehouse, locations=[aisle], note=f"cycle count, aisle {aisle}"))
    _, lines = read(story.engine, actor, queries.count_detail, count_id)
    recorded = lines[: max(1, round(len(lines) * share))]
    off = set(rng.sample(range(len(recorded)), min(variances, len(recorded))))
    cmds = []
    for i, entry in enumerate(recorded):
        line = entry["line"]
        delta = rng.choice((-2, -1, 1)) if i in off else 0
        counted = max(0, line.expected + delta)
        cmds.append(counts.RecordCount(count_id=count_id, location=entry["location"], sku=entry["sku"],
                                       counted=counted, lot=line.lot))
    perform(story.engine, actor, _record, cmds)
    if approve:
        perform(story.engine, story.manager, counts.approve_count, count_id)
        for cmd, entry in zip(cmds, recorded, strict=True):
            story.shelf.add(entry["sku"], entry["location"], cmd.counted - entry["line"].expected, cmd.lot)


def _counts(story: Story) -> None:
    _count(story, story.operator, "MAIN", "MAIN/A/08", 1.0, 3, approve=True)
    _count(story, story.operator, "MAIN", "MAIN/A/01", 0.6, 2)
    _count(story, story.manager, "NORTH", "NORTH/A/02", 0.3, 1)


def _reserve_all(uow: UnitOfWork, cmds: list[reservations.ReserveStock]) -> list[int]:
    return [reservations.reserve_stock(uow, cmd) for cmd in cmds]


def _orders(story: Story) -> None:
    """Thirty orders hold stock: web orders for a while, B2B and marketplace orders until they ship."""
    rng = story.rng
    cmds = []
    for n, item in enumerate(rng.sample(_stocked_in_main(story, 6), 30)):
        channel = ("WEB", "B2B", "MKT")[n % 3]
        ttl = rng.choice((3600, 4 * 3600, 24 * 3600)) if channel == "WEB" else None
        qty = rng.randint(1, min(4, story.shelf.at(item.code, story.home[item.code]) // 3))
        cmds.append(reservations.ReserveStock(sku=item.code, quantity=qty, reference=f"{channel}-{10400 + n * 7}",
                                              ttl_seconds=ttl))
    ids = perform(story.engine, story.manager, _reserve_all, cmds)
    for reservation_id, cmd in zip(ids[:6], cmds[:6], strict=True):
        perform(story.engine, story.manager, reservations.consume_reservation, reservation_id,
                document_type="order", document_id=cmd.reference)
    for reservation_id in ids[6:9]:
        perform(story.engine, story.manager, reservations.release_reservation, reservation_id)


def _available(uow: UnitOfWork) -> dict[tuple[str, int], int]:
    """Sellable units not reserved, per (SKU code, warehouse id)."""
    codes = {sku_id: code for sku_id, code in uow.execute(select(Sku.id, Sku.code))}
    stock = queries.stock_for_skus(uow, sorted(codes))
    return {(codes[sku_id], wh_id): wh.on_hand - wh.reserved
            for sku_id, sku in stock.items() for wh_id, wh in sku.warehouses.items()}


def _set_rules(uow: UnitOfWork, rules: list[tuple[str, str, int, int]]) -> None:
    for code, warehouse, minimum, safety in rules:
        set_min_stock_rule(uow, sku=code, warehouse=warehouse, minimum=minimum, safety_stock=safety)


def _min_stock_rules(story: Story) -> None:
    rng = story.rng
    available = read(story.engine, story.manager, _available)
    ids = story.layout.warehouse_ids
    rules: list[tuple[str, str, int, int]] = []
    resolved: list[tuple[Item, tuple[str, str, int, int]]] = []
    for warehouse, how_many in RULES.items():
        stocked = [item for item in sorted(story.items, key=lambda x: x.code)
                   if available.get((item.code, ids[warehouse]), 0) >= 4 and item.tracking == "none"
                   and item.brand != AWAITING_PUTAWAY]
        for n, item in enumerate(rng.sample(stocked, how_many)):
            free = available[(item.code, ids[warehouse])]
            if n < SHORT[warehouse]:
                rules.append((item.code, warehouse, free + rng.randint(3, 12), 0))
                continue
            minimum = max(1, int(free * rng.uniform(0.2, 0.5)))
            safety = rng.randint(1, 2) if n % 5 == 0 and free - 2 > minimum else 0
            if warehouse == "MAIN" and len(resolved) < RESOLVED:
                # First set above the stock, so an alert opens; a delivery then brings the SKU back above it.
                rules.append((item.code, warehouse, free + 2, 0))
                resolved.append((item, (item.code, warehouse, minimum, safety)))
            else:
                rules.append((item.code, warehouse, minimum, safety))
    perform(story.engine, story.manager, _set_rules, rules)
    document = story.document("DN")
    cmds = [movements.ReceiveStock(sku=item.code, location=story.home[item.code], quantity=10 + item.stock // 2,
                                   unit_cost=item.cost, document_type="delivery_note", document_id=document)
            for item, _ in resolved]
    perform(story.engine, story.operator, movements.receive_stock_batch, cmds)
    perform(story.engine, story.manager, _set_rules, [rule for _, rule in resolved])

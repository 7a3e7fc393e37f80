"""The demo parts catalog, generated from a seeded random generator (pure: no database).

Each OEM part of a vehicle (a front brake pad set for a VW Golf VII, OEM number 5Q0698151B) is sold under
one to three aftermarket brands; each brand's offer is a product with that OEM number in `part_number`
and a SKU named after the brand's article number (BRM-P85020). Spark plugs also come as sets of four
(a second SKU of the same product). Fluids are tracked by lot.
"""

import random
from dataclasses import dataclass
from decimal import Decimal

from stockyard.catalog.domain import gs1_check_digit
from stockyard.catalog.services import CreateProduct

# (name, code prefix for SKUs, GS1 company prefix of 7 digits)
BRANDS = {
    "Bosch": ("BOS", "4047024"), "Brembo": ("BRM", "8020584"), "Mann-Filter": ("MANN", "4011558"),
    "NGK": ("NGK", "4548916"), "SKF": ("SKF", "7316574"), "Gates": ("GAT", "5412096"),
    "Febi": ("FEB", "4027816"), "Valeo": ("VAL", "3276428"), "TRW": ("TRW", "3322937"),
    "Mahle": ("MAH", "4009026"), "Denso": ("DEN", "8717613"), "Continental": ("CON", "4021184"),
    "Sachs": ("SAC", "4013872"), "ATE": ("ATE", "4006633"), "Castrol": ("CAS", "4008177"),
}

# Article number patterns per brand: '#' a digit, '@' a letter, anything else literal.
ARTICLES = {
    "Bosch": "0986######", "Brembo": "P#####", "Mann-Filter": "W###-##", "NGK": "9####", "SKF": "VKBA####",
    "Gates": "K0####XS", "Febi": "#####", "Valeo": "######", "TRW": "GDB####", "Mahle": "OX###D",
    "Denso": "IK##-####", "Continental": "CT####K1", "Sachs": "3#####", "ATE": "03.99##-####", "Castrol": "15#@##",
}
# Where a brand numbers a category differently.
CATEGORY_ARTICLES = {
    ("Brembo", "Brakes/Discs"): "09.@###.##", ("TRW", "Brakes/Discs"): "DF####",
    ("Mann-Filter", "Filters/Air"): "C#####",
    ("Mann-Filter", "Filters/Cabin"): "CUK####", ("Mann-Filter", "Filters/Fuel"): "WK###-#",
    ("Mahle", "Filters/Air"): "LX####", ("Mahle", "Filters/Cabin"): "LA###", ("Mahle", "Filters/Fuel"): "KL###",
    ("SKF", "Belts/Timing"): "VKMA#####", ("SKF", "Cooling/Water pumps"): "VKPC#####",
    ("Gates", "Belts/V-ribbed"): "6PK####", ("Gates", "Cooling/Water pumps"): "WP0###",
    ("Continental", "Belts/V-ribbed"): "6PK####", ("Bosch", "Ignition/Spark plugs"): "0242######",
    ("Bosch", "Wipers/Blades"): "3397######", ("Bosch", "Lighting/Bulbs"): "1987######",
    ("Denso", "Ignition/Coils"): "DIC-####", ("Mahle", "Fluids/Engine oil"): "MO####",
}


@dataclass(frozen=True)
class PartType:
    category: str
    names: tuple[str, ...]
    brands: tuple[str, ...]
    weight_g: tuple[int, int]
    size_mm: tuple[int, int, int]
    cost: tuple[int, int]  # unit cost range in whole currency units
    stock: tuple[int, int]  # a typical quantity received into the main warehouse
    petrol_only: bool = False
    bulky: bool = False


VEHICLE_PARTS = (
    PartType("Brakes/Pads", ("Brake pad set, front", "Brake pad set, rear", "Brake pad set, front, with wear sensor"),
             ("Bosch", "Brembo", "TRW", "Febi"), (900, 2600), (160, 70, 20), (18, 70), (6, 40)),
    PartType("Brakes/Discs", ("Brake disc, front, vented, {d} mm", "Brake disc, rear, solid, {d} mm"),
             ("Brembo", "Bosch", "TRW", "Febi"), (4500, 11500), (330, 330, 40), (25, 120), (4, 20), bulky=True),
    PartType("Filters/Oil", ("Oil filter", "Oil filter, cartridge"), ("Mann-Filter", "Bosch", "Mahle", "Febi"),
             (180, 450), (100, 80, 80), (4, 18), (20, 120)),
    PartType("Filters/Air", ("Air filter",), ("Mann-Filter", "Bosch", "Mahle"), (250, 800), (300, 200, 60),
             (8, 35), (10, 60)),
    PartType("Filters/Cabin", ("Cabin air filter", "Cabin air filter, activated carbon"),
             ("Mann-Filter", "Bosch", "Mahle", "Valeo"), (150, 400), (250, 200, 35), (7, 30), (10, 60)),
    PartType("Filters/Fuel", ("Fuel filter",), ("Mann-Filter", "Bosch", "Mahle"), (200, 700), (150, 90, 90),
             (9, 45), (8, 40)),
    PartType("Ignition/Spark plugs", ("Spark plug, nickel", "Spark plug, iridium", "Spark plug, platinum"),
             ("NGK", "Bosch", "Denso"), (45, 70), (90, 25, 25), (3, 16), (40, 200), petrol_only=True),
    PartType("Ignition/Coils", ("Ignition coil",), ("Bosch", "Denso", "Valeo"), (300, 650), (160, 70, 60),
             (25, 90), (4, 24), petrol_only=True),
    PartType("Belts/Timing", ("Timing belt kit", "Timing belt kit with water pump"),
             ("Gates", "SKF", "Continental"), (1200, 4200), (300, 250, 90), (60, 260), (3, 14), bulky=True),
    PartType("Belts/V-ribbed", ("V-ribbed belt 6PK{l}",), ("Gates", "Continental", "Bosch"), (150, 350),
             (250, 180, 30), (8, 35), (10, 50)),
    PartType("Bearings/Wheel", ("Wheel bearing kit, front", "Wheel bearing kit, rear"), ("SKF", "Febi", "TRW"),
             (700, 2400), (150, 150, 80), (30, 140), (4, 20)),
    PartType("Cooling/Water pumps", ("Water pump", "Water pump with gasket"), ("SKF", "Gates", "Febi", "Valeo"),
             (900, 2600), (220, 160, 140), (30, 130), (3, 16), bulky=True),
    PartType("Suspension/Shock absorbers", ("Shock absorber, front, gas", "Shock absorber, rear, gas"),
             ("Sachs", "Bosch", "Febi"), (2200, 4800), (560, 110, 110), (35, 150), (2, 12), bulky=True),
    PartType("Clutch/Kits", ("Clutch kit, 3-piece",), ("Sachs", "Valeo"), (5200, 9800), (330, 330, 140),
             (120, 420), (1, 8), bulky=True),
    PartType("Wipers/Blades", ("Wiper blade set, flat, {w}/{w2} mm",), ("Bosch", "Valeo"), (250, 500),
             (700, 80, 40), (12, 45), (10, 60)),
)

VEHICLES = (
    ("VW Golf VII 1.4 TSI", "vag", False), ("VW Passat B8 2.0 TDI", "vag", True),
    ("Audi A4 B9 2.0 TDI", "vag", True), ("Skoda Octavia III 1.6 TDI", "vag", True),
    ("BMW 320i (F30)", "bmw", False), ("BMW 520d (G30)", "bmw", True),
    ("Mercedes-Benz C 200 (W205)", "mb", False), ("Mercedes-Benz E 220 d (W213)", "mb", True),
    ("Ford Focus III 1.0 EcoBoost", "ford", False), ("Ford Transit 2.2 TDCi", "ford", True),
    ("Opel Astra K 1.4 Turbo", "opel", False), ("Renault Clio IV 0.9 TCe", "renault", False),
    ("Peugeot 308 II 1.6 BlueHDi", "psa", True), ("Toyota Corolla 1.8 Hybrid", "toyota", False),
    ("Fiat 500 1.2", "fiat", False), ("Volvo XC60 D4", "volvo", True),
    ("Hyundai i30 1.4 T-GDI", "hyundai", False), ("Nissan Qashqai 1.5 dCi", "nissan", True),
)
OEM_PATTERNS = {
    "vag": "#@#######@", "bmw": "###########", "mb": "A##########", "ford": "#######", "opel": "########",
    "renault": "#########R", "psa": "##########", "toyota": "#####-#####", "fiat": "########", "volvo": "########",
    "hyundai": "#####-@@@##", "nissan": "#####-@@###",
}

# Parts that fit (almost) every car: (category, name, brand, OEM-style specification, tracking)
GENERAL_PARTS = (
    ("Lighting/Bulbs", "Headlight bulb H7 12V 55W", "Bosch", "H7", "none"),
    ("Lighting/Bulbs", "Headlight bulb H7 12V 55W", "Valeo", "H7", "none"),
    ("Lighting/Bulbs", "Headlight bulb H4 12V 60/55W", "Bosch", "H4", "none"),
    ("Lighting/Bulbs", "Headlight bulb H4 12V 60/55W", "Valeo", "H4", "none"),
    ("Lighting/Bulbs", "Headlight bulb H1 12V 55W", "Bosch", "H1", "none"),
    ("Lighting/Bulbs", "Indicator bulb PY21W 12V", "Valeo", "PY21W", "none"),
    ("Fluids/Brake fluid", "Brake fluid DOT 4, 1 l", "ATE", "DOT4", "lot"),
    ("Fluids/Brake fluid", "Brake fluid DOT 4 LV, 1 l", "Bosch", "DOT4-LV", "lot"),
    ("Fluids/Engine oil", "Engine oil 5W-30, 5 l", "Castrol", "VW 504 00", "lot"),
    ("Fluids/Engine oil", "Engine oil 0W-20, 4 l", "Castrol", "ACEA C5", "lot"),
    ("Fluids/Engine oil", "Engine oil 5W-40, 5 l", "Mahle", "MB 229.5", "lot"),
    ("Fluids/Coolant", "Coolant concentrate G12++, 1.5 l", "Febi", "TL-VW 774 G", "lot"),
)


@dataclass(frozen=True)
class DemoSku:
    code: str
    unit_cost: Decimal
    stock: int  # what the main warehouse receives
    bulky: bool
    tracking: str


@dataclass(frozen=True)
class DemoProduct:
    command: CreateProduct
    skus: tuple[DemoSku, ...]


def _fill(rng: random.Random, pattern: str) -> str:
    return "".join(str(rng.randint(0, 9)) if c == "#" else rng.choice("ABCDEFGHJKLMNPRSTUVWXZ") if c == "@" else c
                   for c in pattern)


class _Numbers:
    """Hands out unique article numbers and EAN-13 barcodes."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.codes: set[str] = set()
        self.oems: set[str] = set()
        self.next_item = {brand: 10000 + rng.randrange(0, 40000) for brand in BRANDS}

    def sku_code(self, brand: str, category: str) -> str:
        prefix = BRANDS[brand][0]
        pattern = CATEGORY_ARTICLES.get((brand, category), ARTICLES[brand])
        while True:
            code = f"{prefix}-{_fill(self.rng, pattern).replace('.', '')}"
            if code not in self.codes:
                self.codes.add(code)
                return code

    def oem(self, make: str) -> str:
        while True:
            number = _fill(self.rng, OEM_PATTERNS[make])
            if number not in self.oems:
                self.oems.add(number)
                return number

    def ean13(self, brand: str) -> str:
        self.next_item[brand] += 1 + self.rng.randrange(0, 7)
        digits = f"{BRANDS[brand][1]}{self.next_item[brand]:05d}"
        return digits + str(gs1_check_digit(digits))


def _name(rng: random.Random, template: str) -> str:
    width = rng.choice((600, 650, 700))
    return template.format(d=rng.choice((256, 280, 288, 300, 312, 320, 340, 345)), l=rng.randrange(900, 2200, 5),
                           w=width, w2=width - rng.choice((125, 150, 175)))


def _price(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)).scaleb(-2)


def _sku(rng: random.Random, numbers: _Numbers, brand: str, kind: PartType, code: str, name: str,
         pack: int = 1) -> tuple[dict[str, object], DemoSku]:
    length, width, height = kind.size_mm
    weight = rng.randint(*kind.weight_g) * pack
    sku = {"code": code, "name": name, "weight_g": weight, "length_mm": length + rng.randint(-15, 15),
           "width_mm": width * (2 if pack > 1 else 1), "height_mm": height,
           "barcodes": [{"code": numbers.ean13(brand), "kind": "ean13"}]}
    stock = rng.randint(*kind.stock) // pack
    return sku, DemoSku(code, _price(rng, *kind.cost) * pack, max(stock, 1), kind.bulky, "none")


def build_catalog(seed: int) -> list[DemoProduct]:
    rng = random.Random(seed)
    numbers = _Numbers(rng)
    products: list[DemoProduct] = []
    for vehicle, make, diesel in VEHICLES:
        for kind in VEHICLE_PARTS:
            if kind.petrol_only and diesel:
                continue
            names = kind.names if kind.category != "Filters/Fuel" or not diesel else ("Fuel filter, diesel",)
            name = _name(rng, rng.choice(names))
            oem = numbers.oem(make)
            offers = rng.choices((1, 2, 3), weights=(2, 5, 3))[0]
            for brand in sorted(rng.sample(kind.brands, min(offers, len(kind.brands)))):
                code = numbers.sku_code(brand, kind.category)
                sku, demo = _sku(rng, numbers, brand, kind, code, name)
                skus = [sku]
                demos = [demo]
                if kind.category == "Ignition/Spark plugs":
                    pack, pack_demo = _sku(rng, numbers, brand, kind, f"{code}-4", f"{name} (set of 4)", pack=4)
                    skus.append(pack)
                    demos.append(pack_demo)
                description = (f"{brand} {code.split('-', 1)[1]} for {vehicle}. Replaces OEM {oem}. "
                               f"Check the vehicle's VIN before ordering.")
                command = CreateProduct(name=name, description=description, brand=brand, category=kind.category,
                                        part_number=oem, skus=skus)
                products.append(DemoProduct(command, tuple(demos)))
    for category, name, brand, spec, tracking in GENERAL_PARTS:
        code = numbers.sku_code(brand, category)
        cost = _price(rng, 4, 14) if category == "Lighting/Bulbs" else _price(rng, 6, 45)
        sku = {"code": code, "name": name, "weight_g": rng.randint(40, 4800), "length_mm": rng.randint(60, 280),
               "width_mm": rng.randint(40, 200), "height_mm": rng.randint(20, 300), "tracking": tracking,
               "barcodes": [{"code": numbers.ean13(brand), "kind": "ean13"}]}
        command = CreateProduct(name=name, description=f"{brand} {name}. Specification: {spec}.", brand=brand,
                                category=category, part_number="", skus=[sku])
        products.append(DemoProduct(command, (DemoSku(code, cost, rng.randint(24, 140), False, tracking),)))
    return products

"""Demo: tax rates by destination and product tax class, so orders to Germany, Austria, the Netherlands, France and
Poland carry their own VAT, a reduced class shows a second tax line where such products are in the order, and the
tax page has a regional rate (Heligoland, outside the EU VAT area) and a US state's sales tax to show. The demo
puts its light bulbs in the reduced class so that mixed orders happen; real bulbs are standard-rated."""

from datetime import date
from decimal import Decimal

from sqlalchemy import Engine, select

from stockyard.billing.tax_services import TaxClassIn, TaxRateIn, create_tax_class, create_tax_rate
from stockyard.catalog import editing
from stockyard.catalog.admin_queries import category_tree
from stockyard.catalog.models import Brand, Product
from stockyard.core.actor import Actor
from stockyard.core.progress import Steps
from stockyard.core.uow import UnitOfWork, perform, read

REDUCED_CATEGORY = "Lighting/Bulbs"
# (country, region, class, name, rate)
RATES = (
    ("DE", "", "standard", "DE VAT standard 19%", "0.19"), ("DE", "", "reduced", "DE VAT reduced 7%", "0.07"),
    ("DE", "", "zero", "DE zero rate 0%", "0"), ("DE", "HELGOLAND", "standard", "DE Heligoland (no VAT) 0%", "0"),
    ("DE", "HELGOLAND", "reduced", "DE Heligoland (no VAT) 0%", "0"),
    ("AT", "", "standard", "AT USt standard 20%", "0.20"), ("AT", "", "reduced", "AT USt reduced 10%", "0.10"),
    ("NL", "", "standard", "NL BTW standard 21%", "0.21"), ("NL", "", "reduced", "NL BTW reduced 9%", "0.09"),
    ("FR", "", "standard", "FR TVA standard 20%", "0.20"), ("FR", "", "reduced", "FR TVA reduced 5.5%", "0.055"),
    ("PL", "", "standard", "PL VAT standard 23%", "0.23"), ("PL", "", "reduced", "PL VAT reduced 8%", "0.08"),
    ("US", "CA", "standard", "US-CA sales tax 7.25%", "0.0725"),
)
# Germany's temporary 16 % (second half of 2020), superseded by 19 % again: the page shows rates over time.
HISTORY = (("DE", "", "standard", "DE VAT standard 16% (2020)", "0.16", date(2020, 7, 1)),
           ("DE", "", "standard", "DE VAT standard 19%", "0.19", date(2021, 1, 1)))


def _reduced_products(uow: UnitOfWork) -> list[tuple[int, editing.UpdateProduct]]:
    ids = [n.id for n in category_tree(uow) if n.path == REDUCED_CATEGORY]
    rows = uow.execute(select(Product, Brand.name).outerjoin(Brand, Brand.id == Product.brand_id)
                       .where(Product.category_id.in_(ids)).order_by(Product.id)).all()
    return [(p.id, editing.UpdateProduct(name=p.name, description=p.description, part_number=p.part_number,
                                         brand=brand or "", category_id=p.category_id, tax_class="reduced"))
            for p, brand in rows]


def set_up_taxes(engine: Engine, owner: Actor, steps: Steps) -> None:
    products = read(engine, owner, _reduced_products)
    advance = steps.task("Tax classes and rates", len(RATES) + len(HISTORY) + len(products))
    perform(engine, owner, create_tax_class, TaxClassIn(code="reduced", name="Reduced rate"))
    perform(engine, owner, create_tax_class, TaxClassIn(code="zero", name="Zero rate (exports, exempt supplies)"))
    for country, region, tax_class, name, rate, valid_from in HISTORY:
        perform(engine, owner, create_tax_rate, TaxRateIn(country=country, region=region, tax_class=tax_class,
                                                          name=name, rate=Decimal(rate), valid_from=valid_from))
        advance(1)
    for country, region, tax_class, name, rate in RATES:
        if (country, region, tax_class) != ("DE", "", "standard"):  # DE standard is in HISTORY
            perform(engine, owner, create_tax_rate, TaxRateIn(country=country, region=region, tax_class=tax_class,
                                                              name=name, rate=Decimal(rate)))
        advance(1)
    for product_id, cmd in products:
        perform(engine, owner, editing.update_product, product_id, cmd)
        advance(1)

"""The `stockyard` command: serve, worker, migrate, demo, verify, import, bench."""

import runpy
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from stockyard.core.db import create_db_engine
from stockyard.core.errors import DomainError, RowErrors
from stockyard.core.settings import get_settings

app = typer.Typer(help="Stockyard: ERP + ecommerce for warehouse-backed commerce.", no_args_is_help=True)
import_app = typer.Typer(help="Import data from CSV files.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks that print figures.", no_args_is_help=True)
export_app = typer.Typer(help="Export data to CSV files.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(bench_app, name="bench")
app.add_typer(export_app, name="export")
console = Console()
ROOT = Path(__file__).resolve().parents[2]


def _engine():  # noqa: ANN202
    settings = get_settings()
    return create_db_engine(settings.resolved_database_url(), pool_size=settings.db_pool_size,
                            max_overflow=settings.db_max_overflow)


def progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=console)


def report_row_errors(error: RowErrors) -> None:
    """The row-level report of a refused import file."""
    table = Table("line", "field", "problem")
    for line, field, message in error.rows:
        table.add_row(str(line), field, message)
    console.print(table)
    console.print(f"[red]{error.message}; nothing was imported[/red]")


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from stockyard.core.migrate import upgrade

    upgrade(_engine())
    console.print("[green]database is up to date[/green]")


@app.command()
def demo(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Only when the database has no tenant yet")] = False,
) -> None:
    """Build the demo business: tenant 'demo', users, warehouses, 500+ parts, stock, transfers, counts, suppliers and
    purchase orders, shipping and payment, customers and orders in every state."""
    from stockyard.demo import already_built_lines, build_demo, database_is_empty

    engine = _engine()
    settings = get_settings()
    base_url = f"http://{settings.host}:{settings.port}"
    if if_empty and not database_is_empty(engine):
        for line in already_built_lines(engine, base_url):
            console.print(line, highlight=False)
        return
    try:
        with progress_bar() as progress:
            summary = build_demo(engine, progress, base_url)
    except DomainError as error:
        console.print(f"[red]{error}[/red] (the demo data is built once, into a database without it)")
        raise typer.Exit(1) from None
    for line in summary:
        console.print(line)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: STOCKYARD_HOST or 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="Default: STOCKYARD_PORT or 8000")] = None,
    workers: Annotated[int, typer.Option(help="Web processes")] = 1,
    only: Annotated[str | None, typer.Option(
        help="Serve only these layers, comma-separated: storefront, admin, erp, mobile, api (default: all; "
             "login, /healthz, /readyz and /metrics are always served)")] = None,
    jobs: Annotated[bool | None, typer.Option(
        "--jobs/--no-jobs", help="Run the background jobs in this process (default: STOCKYARD_SERVE_JOBS or yes); "
                                 "--no-jobs when `stockyard worker` runs them")] = None,
) -> None:
    """Serve the shop, the back office (/admin, /erp), the phone pages (/m) and the API (/api/v1, /docs), or some."""
    import os

    import uvicorn

    from stockyard.core.structured_logging import configure_logging
    from stockyard.web.app import parse_layers

    if only is not None:
        try:
            os.environ["STOCKYARD_SERVE_LAYERS"] = ",".join(parse_layers(only))
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--only") from None
    if jobs is not None:
        os.environ["STOCKYARD_SERVE_JOBS"] = "true" if jobs else "false"
    get_settings.cache_clear()  # the web processes read the options above from the environment
    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    uvicorn.run("stockyard.web.main:app", host=host or settings.host, port=port or settings.port,
                workers=workers, log_level=settings.log_level, access_log=False, log_config=None)


@app.command()
def worker(
    metrics_port: Annotated[int | None, typer.Option(help="Serve Prometheus metrics on this port (default: none)")]
    = None,
    metrics_host: Annotated[str | None, typer.Option(help="Default: STOCKYARD_HOST or 127.0.0.1")] = None,
) -> None:
    """Run the background jobs (reservation expiry, backorders, payment confirmations, listing prices) and the
    integration layer's relay and consumers (RabbitMQ when STOCKYARD_BROKER_URL is set), without serving HTTP."""
    import logging
    import time

    from prometheus_client import start_http_server

    from stockyard.core.structured_logging import configure_logging
    from stockyard.integration.worker import start as start_integration
    from stockyard.web.jobs import run_jobs_once
    from stockyard.web.metrics import process_registry

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    log = logging.getLogger("stockyard.worker")
    engine = _engine()
    if metrics_port is not None:
        start_http_server(metrics_port, addr=metrics_host or settings.host, registry=process_registry(engine))
        log.info("metrics at http://%s:%d/metrics", metrics_host or settings.host, metrics_port)
    start_integration(engine, settings)
    profile = "relaying the outbox to the broker" if settings.broker_url else "dispatching the outbox in-process"
    log.info("worker running every %ss, %s; Ctrl+C to stop", settings.jobs_interval_seconds, profile)
    try:
        while True:
            for line in run_jobs_once(engine):
                log.info("%s", line)
            time.sleep(settings.jobs_interval_seconds)
    except KeyboardInterrupt:
        pass


@app.command()
def verify(tenant: Annotated[str | None, typer.Option(help="Tenant slug; default: every tenant")] = None) -> None:
    """Rebuild every stock level from the ledger and list differences (exit 1 on any)."""
    from stockyard.identity.services import tenant_id_for
    from stockyard.inventory.verify import verify_levels

    engine = _engine()
    tenant_id = tenant_id_for(engine, tenant) if tenant else None
    diffs = verify_levels(engine, tenant_id)
    if not diffs:
        console.print("[green]ledger and levels agree[/green]")
        return
    table = Table("tenant", "sku", "location", "status", "lot", "field", "stored", "from ledger")
    for d in diffs:
        table.add_row(*(str(x) for x in (d.tenant_id, d.sku_id, d.location_id, d.status, d.lot, d.field,
                                          d.stored, d.rebuilt)))
    console.print(table)
    console.print(f"[red]{len(diffs)} difference(s)[/red]")
    raise typer.Exit(1)


@import_app.command("stock")
def import_stock_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    tenant: Annotated[str, typer.Option(help="Tenant slug")] = "demo",
) -> None:
    """Receive stock from a CSV (sku,location,quantity[,status,unit_cost,lot]); any bad row changes nothing."""
    from stockyard.core.actor import system_actor
    from stockyard.identity.services import tenant_id_for
    from stockyard.inventory.csv_import import import_stock

    engine = _engine()
    actor = system_actor(tenant_id_for(engine, tenant), "csv import")
    try:
        with progress_bar() as progress:
            count = import_stock(engine, actor, file.read_bytes(), progress=progress)
    except RowErrors as error:
        report_row_errors(error)
        raise typer.Exit(1) from None
    console.print(f"[green]imported {count} rows[/green]")


@import_app.command("products")
def import_products_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    tenant: Annotated[str, typer.Option(help="Tenant slug")] = "demo",
) -> None:
    """Create products and SKUs from a CSV; any bad row changes nothing."""
    from stockyard.catalog.csv_import import import_products
    from stockyard.core.actor import system_actor
    from stockyard.identity.services import tenant_id_for

    engine = _engine()
    actor = system_actor(tenant_id_for(engine, tenant), "csv import")
    try:
        with progress_bar() as progress:
            count = import_products(engine, actor, file.read_bytes(), progress=progress)
    except RowErrors as error:
        report_row_errors(error)
        raise typer.Exit(1) from None
    console.print(f"[green]imported {count} products[/green]")


@import_app.command("settlements")
def import_settlements_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    tenant: Annotated[str, typer.Option(help="Tenant slug")] = "demo",
) -> None:
    """Import a payment gateway's settlement report (settlement_id,date,payment_reference,type,gross,fee,net,currency);
    any bad row changes nothing; a settlement imported before is recognised and not booked twice."""
    from stockyard.billing.settlements import import_settlements
    from stockyard.core.actor import system_actor
    from stockyard.core.uow import perform
    from stockyard.identity.services import tenant_id_for

    engine = _engine()
    actor = system_actor(tenant_id_for(engine, tenant), "settlement import")
    try:
        report = perform(engine, actor, import_settlements, file.read_bytes(), file.name)
    except RowErrors as error:
        report_row_errors(error)
        raise typer.Exit(1) from None
    for s in report.imported:
        console.print(f"[green]imported settlement {s.settlement_ref}: {s.line_count} lines, payout {s.payout} "
                      f"{s.currency}, fees {s.fees}[/green]")
    for ref in report.already_imported:
        console.print(f"settlement {ref} was imported before; not booked again")


@export_app.command("products")
def export_products_cmd(
    file: Annotated[Path, typer.Argument(dir_okay=False, writable=True)],
    tenant: Annotated[str, typer.Option(help="Tenant slug")] = "demo",
) -> None:
    """Write every product/SKU as a CSV that `stockyard import products` reads back."""
    from stockyard.catalog.export import write_products_csv
    from stockyard.core.actor import system_actor
    from stockyard.identity.services import tenant_id_for

    engine = _engine()
    actor = system_actor(tenant_id_for(engine, tenant), "csv export")
    with file.open("w", encoding="utf-8", newline="") as out, progress_bar() as progress:
        count = write_products_csv(engine, actor, out, progress)
    console.print(f"[green]exported {count} SKUs to {file}[/green]")


@bench_app.command("inventory", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench_inventory(ctx: typer.Context) -> None:
    """Reservations/s (service and HTTP), latency percentiles, move throughput, oversell count."""
    sys.argv = ["bench/inventory.py", *ctx.args]
    runpy.run_path(str(ROOT / "bench" / "inventory.py"), run_name="__main__")


@bench_app.command("catalog", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench_catalog(ctx: typer.Context) -> None:
    """Storefront category pages and search over HTTP on a generated catalog of 100,000 SKUs (p50/p95, req/s)."""
    sys.argv = ["bench/catalog.py", *ctx.args]
    runpy.run_path(str(ROOT / "bench" / "catalog.py"), run_name="__main__")


@bench_app.command("checkout", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench_checkout(ctx: typer.Context) -> None:
    """The storefront checkout over HTTP: orders/s, p50/p95 per step, CPU and SQL statements per order, races."""
    sys.argv = ["bench/checkout.py", *ctx.args]
    runpy.run_path(str(ROOT / "bench" / "checkout.py"), run_name="__main__")


@bench_app.command("warehouse", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench_warehouse(ctx: typer.Context) -> None:
    """Mobile API scans per second (receive, move, pick) at concurrency 1 and 8; 1,000 invoices and labels."""
    sys.argv = ["bench/warehouse.py", *ctx.args]
    runpy.run_path(str(ROOT / "bench" / "warehouse.py"), run_name="__main__")


@bench_app.command("documents", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench_documents(ctx: typer.Context) -> None:
    """Time to generate 1,000 invoices and 1,000 labels (PDF, ZPL), and documents issued through the service."""
    sys.argv = ["bench/documents.py", *ctx.args]
    runpy.run_path(str(ROOT / "bench" / "documents.py"), run_name="__main__")


@bench_app.command("cache", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench_cache(ctx: typer.Context) -> None:
    """Storefront catalog pages with the read cache off, in-process and in Redis (req/s, p50/p95/p99, CPU)."""
    sys.argv = ["bench/cache.py", *ctx.args]
    runpy.run_path(str(ROOT / "bench" / "cache.py"), run_name="__main__")


channels_app = typer.Typer(help="External sales channels (connected sites).", no_args_is_help=True)
app.add_typer(channels_app, name="channels")


@channels_app.command("resync")
def channels_resync(
    connection: Annotated[int | None, typer.Option("--connection", help="Connection id; default: every active one")]
    = None,
) -> None:
    """Push the stock and price of every mapped SKU to the connected site(s) now (recovery after drift)."""
    from stockyard.core.actor import system_actor
    from stockyard.core.progress import Steps
    from stockyard.integration.channels.resync import connection_tenants, resync_connection

    engine = _engine()
    targets = connection_tenants(engine, connection)
    if connection is not None and not targets:
        console.print(f"[red]no channel connection {connection}[/red]")
        raise typer.Exit(1)
    failed = 0
    with progress_bar() as progress:
        reports = [resync_connection(engine, system_actor(tenant_id, "channels resync"), connection_id,
                                     steps=Steps(progress)) for tenant_id, connection_id in targets]
    for report in reports:
        colour = "red" if report.failed else "green"
        console.print(f"[{colour}]{report.name} (#{report.connection_id}): {report.pushed} SKUs pushed, "
                      f"{report.failed} failed[/{colour}]" + (f" — {report.errors[0]}" if report.errors else ""))
        failed += report.failed
    if failed:
        raise typer.Exit(1)


@bench_app.command("events", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench_events(ctx: typer.Context) -> None:
    """Events/s and commit-to-handled latency through outbox → RabbitMQ → consumer (1 and 2 workers), and embedded."""
    sys.argv = ["bench/events.py", *ctx.args]
    runpy.run_path(str(ROOT / "bench" / "events.py"), run_name="__main__")


if __name__ == "__main__":
    app()

"""Settings from `STOCKYARD_*` environment variables; the embedded default lives under `var/`."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STOCKYARD_", extra="ignore")

    var_dir: Path = Path("var")
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = "dev-only-secret-change-me"
    db_pool_size: int = 10
    db_max_overflow: int = 10
    jobs_interval_seconds: float = Field(default=5.0, gt=0)
    default_reservation_ttl_seconds: int = Field(default=900, gt=0)
    # A card order whose payment still waits for the customer's confirmation this long is cancelled (stock freed).
    unconfirmed_payment_minutes: int = Field(default=60, gt=0)
    log_level: str = "info"
    log_format: Literal["json", "text"] = "json"  # of `stockyard serve` and `stockyard worker` (stdout)
    # What a web process serves (`stockyard serve --only ...` sets it): comma-separated layers of web/app.py's LAYERS
    # (storefront, admin, erp, mobile, api); empty serves all. `serve_jobs` false leaves the background jobs to
    # `stockyard worker` (the scale-out profile).
    serve_layers: str = ""
    serve_jobs: bool = True
    # When set, /metrics answers only requests with "Authorization: Bearer <this>" (Prometheus: `authorization`).
    metrics_token: str = ""
    # Password hashing cost (argon2id); the defaults are argon2-cffi's recommended ones.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    # Staff sign-in: server-side sessions, login rate limit, password reset, outgoing mail.
    cookie_secure: bool = False
    session_idle_minutes: int = Field(default=120, gt=0)
    session_lifetime_hours: int = Field(default=12, gt=0)
    login_max_failures: int = Field(default=5, gt=0)
    login_window_seconds: int = Field(default=900, gt=0)
    password_reset_max_age_seconds: int = Field(default=3600, gt=0)
    # Links in e-mails start with this; empty means the address the request came to (fine for development only).
    public_url: str = ""
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    mail_from: str = "Stockyard <no-reply@localhost>"
    # Product images: the file store is var/objects/ unless an S3-compatible endpoint is set.
    s3_endpoint: str = ""
    s3_bucket: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_region: str = "us-east-1"
    image_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    image_max_pixels: int = Field(default=40_000_000, gt=0)
    # The admin's product CSV upload; larger files are refused (the `stockyard import` command has no such limit).
    csv_upload_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    # The storefront at / serves the channel whose `domain` is the request's host, else this tenant's channel.
    storefront_tenant: str = "demo"
    storefront_channel: str = "web"
    storefront_low_stock: int = Field(default=5, ge=0)  # "Only N left" at or below this many units
    # The integration layer (integration/): a RabbitMQ URL (amqp://...) selects the scale-out profile; empty runs the
    # consumers in-process from the outbox. The prefix names the exchanges and queues, so several installations (or
    # test runs) can share one broker.
    broker_url: str = ""
    broker_prefix: str = "stockyard"
    # Extra modules whose consumers run, comma-separated, besides integration/registry.py's CONSUMER_MODULES.
    consumer_modules: str = ""
    consumer_retry_base_seconds: float = Field(default=2.0, ge=0)  # the first retry; doubled for each further one
    consumer_retry_max_seconds: float = Field(default=600.0, ge=0)
    relay_batch_size: int = Field(default=200, gt=0)
    dispatch_poll_seconds: float = Field(default=0.5, gt=0)  # how often `stockyard worker` looks for new events
    # Redis (redis://...) for the scale-out profile: the catalog and stock read cache, login rate limits and API
    # idempotency keys shared by every process. Empty keeps them in-process (one process, nothing to run).
    redis_url: str = ""
    # How long the storefront's catalog pages and the API's stock figures stay cached at most (events refresh them
    # sooner, integration/cache_invalidation.py); 0, the default, reads the database every time. The scale-out
    # profile turns it on (deploy/local-cluster.sh: 60): its figures then lag a change until a worker handles the
    # change's event. Carts and orders never read the cache.
    read_cache_seconds: float = Field(default=0.0, ge=0)
    # Outbound calls to addresses staff typed in (webhook endpoints, connected sites) go to public addresses only,
    # so a URL cannot reach this server's own services or the private network (core/outbound.py). True lets them
    # reach private and loopback addresses: for a site on the same network, and for tests and local development.
    outbound_private_allowed: bool = False

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'stockyard.db').as_posix()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()

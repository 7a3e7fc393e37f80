"""Settings from `STOCKYARD_*` environment variables; the embedded default lives under `var/`."""

from functools import lru_cache
from pathlib import Path

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
    log_level: str = "info"
    # Password hashing cost (argon2id); the defaults are argon2-cffi's recommended ones.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'stockyard.db').as_posix()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()

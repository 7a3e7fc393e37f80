"""Shared fixtures: one migrated database per backend per test process, a fresh tenant per test.

Every test gets its own tenant, so tests never see each other's rows and nothing needs cleaning up.
PostgreSQL runs when STOCKYARD_TEST_DATABASE_URL is set; with CI=true a missing server is a failure.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from stockyard.core.actor import Actor, system_actor
from stockyard.core.db import create_db_engine
from stockyard.core.migrate import upgrade
from stockyard.core.settings import Settings
from stockyard.core.uow import UnitOfWork
from stockyard.identity.services import create_api_key, create_tenant, create_user
from stockyard.web.app import create_app

# Cheap password hashing for the many test users (a setting, read like any other; production keeps the default).
os.environ.setdefault("STOCKYARD_ARGON2_TIME_COST", "1")
os.environ.setdefault("STOCKYARD_ARGON2_MEMORY_KIB", "1024")
# The tests' stores, sites and webhook receivers listen on loopback; tests/core/test_outbound.py turns the guard on.
os.environ.setdefault("STOCKYARD_OUTBOUND_PRIVATE_ALLOWED", "true")

PG_URL = os.environ.get("STOCKYARD_TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite", "postgresql"]


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _admin(sql: str) -> None:
    admin = create_engine(make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(sql))
    finally:
        admin.dispose()


def _postgres_db_name() -> str:
    # Unique per test process, so that parallel runs never share (or drop) each other's database.
    return f"{make_url(PG_URL).database}_{_worker()}_{os.getpid()}"


def _postgres_url() -> str:
    """A database of its own for this test process, created fresh from the configured server."""
    name = _postgres_db_name()
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Engine]]:
    made: dict[str, Engine] = {}
    yield made
    for engine in made.values():
        engine.dispose()
    if "postgresql" in made:
        _admin(f'DROP DATABASE IF EXISTS "{_postgres_db_name()}" WITH (FORCE)')


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest, engines: dict[str, Engine],
           tmp_path_factory: pytest.TempPathFactory) -> Engine:
    backend = request.param
    if backend not in engines:
        if backend == "sqlite":
            path = tmp_path_factory.mktemp("db") / "stockyard.db"
            url = f"sqlite:///{path}"
        else:
            if not PG_URL:
                if IN_CI:
                    pytest.fail("CI=true but STOCKYARD_TEST_DATABASE_URL is not set")
                pytest.skip("PostgreSQL tests need STOCKYARD_TEST_DATABASE_URL")
            try:
                url = _postgres_url()
            except Exception as error:  # the server is unreachable
                if IN_CI:
                    pytest.fail(f"PostgreSQL at {PG_URL} is unreachable: {error}")
                pytest.skip(f"PostgreSQL unreachable: {error}")
        made = create_db_engine(url, pool_size=20, max_overflow=60)
        upgrade(made)
        engines[backend] = made
    return engines[backend]


@contextmanager
def private_engine(backend: str, directory: Path, label: str) -> Iterator[Engine]:
    """A migrated database nothing else uses, for tests whose background jobs scan every tenant: they must not
    meet (or touch) the rows of the other tests in this process. Dropped afterwards."""
    name = ""
    if backend == "postgresql":
        name = f"{make_url(PG_URL).database}_{label}_{_worker()}_{os.getpid()}"
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _admin(f'CREATE DATABASE "{name}"')
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{directory / f'{label}.db'}"
    made = create_db_engine(url, pool_size=10, max_overflow=20)
    try:
        upgrade(made)
        yield made
    finally:
        made.dispose()
        if name:
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_engine(engines: dict[str, Engine], tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """For tests that need one backend only (pages, CLI)."""
    if "sqlite" not in engines:
        path = tmp_path_factory.mktemp("db") / "stockyard.db"
        made = create_db_engine(f"sqlite:///{path}", pool_size=20, max_overflow=60)
        upgrade(made)
        engines["sqlite"] = made
    return engines["sqlite"]


@dataclass
class TenantCtx:
    engine: Engine
    tenant_id: int
    slug: str
    actor: Actor

    def uow(self, actor: Actor | None = None) -> UnitOfWork:
        return UnitOfWork(self.engine, actor or self.actor)

    def user(self, role: str, email: str | None = None, warehouse_ids: list[int] | None = None,
             password: str = "correct horse battery") -> tuple[int, str]:
        """Creates a staff user; returns (user id, API key)."""
        email = email or f"{role}-{uuid.uuid4().hex[:6]}@example.com"
        with self.uow() as uow:
            user_id = create_user(uow, email=email, name=f"{role} user", password=password, role=role,
                                  warehouse_ids=warehouse_ids)
            key = create_api_key(uow, user_id=user_id, name="tests")
        return user_id, key


def new_tenant(engine: Engine) -> TenantCtx:
    slug = f"t-{uuid.uuid4().hex[:10]}"
    tenant_id = create_tenant(engine, slug, f"Tenant {slug}")
    return TenantCtx(engine, tenant_id, slug, system_actor(tenant_id, "test setup"))


@pytest.fixture
def tenant(engine: Engine) -> TenantCtx:
    return new_tenant(engine)


@pytest.fixture(scope="session")
def app_for(engines: dict[str, Engine]):  # noqa: ANN201
    apps: dict[int, TestClient] = {}

    def make(engine: Engine) -> TestClient:
        if id(engine) not in apps:
            settings = Settings(secret_key="test-secret", var_dir=Path("var-test"))
            apps[id(engine)] = TestClient(create_app(settings, engine, run_jobs=False))
        return apps[id(engine)]

    return make


@pytest.fixture
def client(engine: Engine, app_for) -> TestClient:  # noqa: ANN001
    """An in-process HTTP client for the ASGI app on this test's backend (no credentials attached: the app is shared
    by the session, so a cookie a previous test signed in with is dropped)."""
    made = app_for(engine)
    made.cookies.clear()
    return made


@pytest.fixture
def api(tenant: TenantCtx, client: TestClient) -> "Api":
    """HTTP calls as the tenant's owner, with a real API key."""
    _, key = tenant.user("owner")
    return Api(client, {"Authorization": f"Bearer {key}"})


@dataclass
class Api:
    client: TestClient
    headers: dict[str, str]

    def get(self, url: str, **kw):  # noqa: ANN003, ANN201
        return self.client.get(url, headers=self.headers, **kw)

    def post(self, url: str, json: object = None, **kw):  # noqa: ANN003, ANN201
        return self.client.post(url, json=json, headers=self.headers, **kw)

    def put(self, url: str, json: object = None, **kw):  # noqa: ANN003, ANN201
        return self.client.put(url, json=json, headers=self.headers, **kw)

"""Imports every context's models so that `Base.metadata` knows every table (Alembic, tests)."""

from stockyard.catalog import models as catalog_models
from stockyard.core import outbox
from stockyard.core.db import Base
from stockyard.identity import models as identity_models
from stockyard.inventory import models as inventory_models

__all__ = ["Base", "catalog_models", "identity_models", "inventory_models", "outbox"]

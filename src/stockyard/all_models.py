"""Imports every context's models so that `Base.metadata` knows every table (Alembic, tests)."""

from stockyard.analytics import anomalies_models, forecast_models
from stockyard.billing import journal_models, landed_cost_models, settlements_models, tax_models
from stockyard.billing import models as billing_models
from stockyard.catalog import models as catalog_models
from stockyard.catalog import pricing_models
from stockyard.core import audit, outbox
from stockyard.core.db import Base
from stockyard.documents import models as documents_models
from stockyard.fulfilment import execution_models as fulfilment_execution_models
from stockyard.fulfilment import models as fulfilment_models
from stockyard.identity import models as identity_models
from stockyard.integration import models as integration_models
from stockyard.integration.channels import models as channel_models
from stockyard.integration.channels import sync_models as channel_sync_models
from stockyard.integration.webhooks import models as webhook_models
from stockyard.inventory import models as inventory_models
from stockyard.purchasing import models as purchasing_models
from stockyard.returns import models as returns_models
from stockyard.sales import models as sales_models

__all__ = ["Base", "catalog_models", "identity_models", "inventory_models", "outbox", "audit", "billing_models",
           "pricing_models", "fulfilment_models", "sales_models", "returns_models", "purchasing_models",
           "channel_models", "channel_sync_models", "integration_models", "documents_models",
           "fulfilment_execution_models", "journal_models", "webhook_models", "forecast_models",
           "settlements_models", "anomalies_models", "landed_cost_models", "tax_models"]

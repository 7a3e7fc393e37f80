"""The ASGI application for `uvicorn stockyard.web.main:app` (and each of `stockyard serve`'s processes): the
layers of STOCKYARD_SERVE_LAYERS (all when empty), logging to stdout as STOCKYARD_LOG_FORMAT says."""

from stockyard.core.settings import get_settings
from stockyard.core.structured_logging import configure_logging
from stockyard.web.app import create_app

settings = get_settings()
configure_logging(settings.log_format, settings.log_level)
app = create_app(settings, layers=settings.serve_layers or None, run_jobs=settings.serve_jobs)

"""The ASGI application for `uvicorn stockyard.web.main:app`."""

from stockyard.web.app import create_app

app = create_app()

"""Back-office stock pages at /erp (being written)."""

from fastapi import APIRouter

router = APIRouter(prefix="/erp", include_in_schema=False)

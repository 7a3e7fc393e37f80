"""Domain errors become JSON errors with a field (4xx) at the edge; nothing else knows HTTP codes."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from stockyard.core.errors import (
    Conflict,
    DomainError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RowErrors,
    ValidationFailed,
)

STATUS: list[tuple[type[DomainError], int, str]] = [
    (RowErrors, 422, "invalid_rows"),
    (ValidationFailed, 422, "validation"),
    (NotFound, 404, "not_found"),
    (Conflict, 409, "conflict"),
    (PermissionDenied, 403, "forbidden"),
    (NotAuthenticated, 401, "not_authenticated"),
]


def status_for(error: DomainError) -> tuple[int, str]:
    for cls, status, kind in STATUS:
        if isinstance(error, cls):
            return status, kind
    return 400, "bad_request"


def domain_error_body(error: DomainError) -> dict[str, Any]:
    _, kind = status_for(error)
    body: dict[str, Any] = {"type": kind, "message": error.message, "field": error.field}
    if error.details:
        body["details"] = error.details
    if isinstance(error, RowErrors):
        body["rows"] = [{"line": line, "field": f, "message": m} for line, f, m in error.rows]
    return {"error": body}


def pydantic_fields(errors: list[Any], skip_prefix: tuple[str, ...] = ()) -> list[dict[str, str]]:
    out = []
    for e in errors:
        loc = [str(part) for part in e.get("loc", ()) if str(part) not in skip_prefix]
        out.append({"field": ".".join(loc), "message": e.get("msg", "invalid")})
    return out


def validation_body(fields: list[dict[str, str]]) -> dict[str, Any]:
    first = fields[0] if fields else {"field": None, "message": "invalid input"}
    return {"error": {"type": "validation", "message": f"{first['field']}: {first['message']}",
                      "field": first["field"], "fields": fields}}


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, error: DomainError) -> JSONResponse:
        status, _kind = status_for(error)
        return JSONResponse(domain_error_body(error), status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _request(_: Request, error: RequestValidationError) -> JSONResponse:
        fields = pydantic_fields(list(error.errors()), skip_prefix=("body", "query", "path"))
        return JSONResponse(validation_body(fields), status_code=422)

    @app.exception_handler(ValidationError)
    async def _pydantic(_: Request, error: ValidationError) -> JSONResponse:
        return JSONResponse(validation_body(pydantic_fields(list(error.errors()))), status_code=422)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, error: IntegrityError) -> JSONResponse:
        # The database's constraints are the backstop; a service should have refused first.
        return JSONResponse({"error": {"type": "conflict", "message": "the change conflicts with stored data",
                                       "field": None}}, status_code=409)

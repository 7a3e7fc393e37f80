"""Domain errors become JSON errors with a field (4xx) at the edge; nothing else knows HTTP codes."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from stockyard.billing.errors import PaymentFailed
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
    (PaymentFailed, 402, "payment_failed"),
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


# pydantic names the branch of an `int | str` field after it ("sku.int", "sku.str"); the field is "sku".
_UNION_BRANCHES = frozenset({"int", "str"})


def _field_name(loc: list[Any]) -> str:
    """Fields named as the services name them: lines[0].quantity."""
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def pydantic_fields(errors: list[Any], skip_prefix: tuple[str, ...] = ()) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for e in errors:
        loc = list(e.get("loc", ()))
        # Unparseable JSON is located at a character offset; a body that is not an object at ("body",).
        whole_body = e.get("type") == "json_invalid" or loc == ["body"]
        if loc and str(loc[0]) in skip_prefix:
            loc = loc[1:]
        if len(loc) > 1 and loc[-1] in _UNION_BRANCHES:
            loc = loc[:-1]
        message = e.get("msg", "invalid")
        field = "body" if whole_body else _field_name(loc)
        if out and out[-1]["field"] == field:
            out[-1]["message"] += " or " + message.removeprefix("Input should be ")
            continue
        out.append({"field": field, "message": message})
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

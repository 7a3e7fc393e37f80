"""The admin's list / new / create / edit / update / delete pages, written once.

Two levels:
- `submit` and `remove` are the body of any form post: run one service in its own transaction, and either show
  the form again with the messages next to its fields (4xx) or flash and redirect (303). Pages with forms of their
  own (catalog brands, payment methods, ...) call them directly, after check_csrf.
- `Resource` describes a configuration record edited through the shared form template admin/commerce/form.html
  (its fields, its form → command function, its services and queries, its URLs and wording); `add_resource_routes`
  adds its pages to a router.
"""

import inspect
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import Engine

from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.web.admin import admin_page
from stockyard.web.admin_forms import FormField
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, field_errors, flash, run, see_other

# Bad input: the form is shown again with the message. Anything else (PermissionDenied, a stale CSRF token)
# becomes the admin's error page.
INPUT_ERRORS = (ValidationError, ValidationFailed, NotFound, Conflict)

Form = Mapping[str, Any]
Errors = dict[str, str]
Command = TypeVar("Command")
Result = TypeVar("Result")


class _Values(dict[str, str]):
    """A form's values for str.format_map: trimmed, and empty where a field was not sent."""

    def __init__(self, form: Form) -> None:
        super().__init__({name: str(value).strip() for name, value in form.items()})

    def __missing__(self, name: str) -> str:
        return ""


def fill(text: str, form: Form) -> str:
    """`text` with {field} replaced by the form's (trimmed) value of that field."""
    return text.format_map(_Values(form))


async def submit(request: Request, form: dict[str, Any], engine: Engine, actor: Actor,
                 service: Callable[..., Result], arguments: Callable[[dict[str, Any]], Sequence[Any]], *,
                 known: Collection[str], again: Callable[..., Response], message: str,
                 to: str | Callable[[Result], str]) -> Response:
    """A form post, `form` being what check_csrf returned: the service runs with `arguments(form)` in one
    transaction. Bad input shows the page again, `again(form=, errors=, status_code=)` (errors keyed by the `known`
    field names; others go to the top of the page); success flashes `message` (with {field} placeholders filled
    from the form) and redirects to `to` (or `to(service result)`)."""
    try:
        result = await run(perform, engine, actor, service, *arguments(form))
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, set(known))
        return await run(partial(again, form=form, errors=errors, status_code=status))
    flash(request, fill(message, form))
    return see_other(to if isinstance(to, str) else to(result))


async def remove(request: Request, engine: Engine, actor: Actor, service: Callable[..., Any], item_id: int, *,
                 message: str, to: str) -> Response:
    """A delete button's post."""
    await check_csrf(request)
    await run(perform, engine, actor, service, item_id)
    flash(request, message)
    return see_other(to)


def sorts(query: Callable[..., Any]) -> bool:
    """Whether a list query takes `sort=` (and so whitelists the columns it may be sorted by)."""
    return "sort" in inspect.signature(query).parameters


def list_page(request: Request, engine: Engine, actor: Actor, query: Callable[..., Any], template: str,
              section: str, q: str, page_no: int, *, sort: str | None = None, **context: Any) -> Response:
    """A searchable, paginated list: `query(uow, q=..., page=...)` returns a Page; with `sort` (a column key from
    the query string, "-key" for descending) also `sort=`, and the query falls back to its default order when it
    does not know the key. The template makes column headers links with admin/_list.html's sort_header."""
    arguments = {"q": q, "page": page_no} | ({} if sort is None else {"sort": sort})
    result = read(engine, actor, query, **arguments)
    return admin_page(request, actor, template, section=section, result=result, q=q, **context)


@dataclass(frozen=True)
class Resource(Generic[Command]):
    """A record edited through admin/commerce/form.html.

    URLs below `base`: `/new` (form and create), `/{id}` + `edit_path` (form and update), `/{id}/delete`; and the
    list at `base` itself when `list_query` is given (see list_page: `q`, `page`, and `sort` when the query takes
    it). With an `edit_path` ("/edit"), `base/{id}` is the record's own page, served by the module, and the edit
    form needs the permission even to be seen; without one, the form at `base/{id}` is the record's page and shows
    read-only facts to those who may not edit.
    """

    base: str  # "/admin/channels"
    section: str  # the admin navigation's key
    permission: str  # to see the new and edit forms (every service checks it again)
    noun: str  # "Channel": flashes "Channel WEB created", "Channel WEB saved", "Channel deleted"
    label: str  # the field naming a record in flashes: "code" or "name"
    new_title: str
    edit_title: str  # with {field} placeholders: "Channel {code}"
    fields: tuple[FormField, ...]
    command: Callable[[Form], Command]  # the service's command from the form
    create: Callable[..., int]  # service (uow, command) → new id
    update: Callable[..., Any]  # service (uow, id, command)
    delete: Callable[..., Any]  # service (uow, id)
    load: Callable[..., Any]  # query (uow, id) → the record; raises NotFound
    values: Callable[[Any], dict[str, Any]]  # the record as the form's values
    back: tuple[str, str]  # the form's back link: (URL, label)
    defaults: Mapping[str, Any] = field(default_factory=dict)  # a new form's values
    choices: Callable[[Engine, Actor], Mapping[str, Sequence[tuple[str, str]]]] | None = None  # select options
    edit_path: str = ""
    record_label: str = ""  # with edit_path: the edit form's back link goes to the record's page, named so
    list_url: str = ""  # after delete (and after create with created_to_list); default: base
    created_to_list: bool = False
    list_template: str = ""
    list_query: Callable[..., Any] | None = None  # query (uow, q=, page=[, sort=]) → Page, shown with list_template

    @property
    def names(self) -> set[str]:
        return {f.name for f in self.fields}

    def item_url(self, item_id: int) -> str:
        return f"{self.base}/{item_id}"

    def form_page(self, request: Request, engine: Engine, actor: Actor, form: Form, item_id: int | None = None,
                  errors: Errors | None = None, status_code: int = 200) -> Response:
        options = self.choices(engine, actor) if self.choices else {}
        fields = tuple(replace(f, options=options[f.name]) if f.name in options else f for f in self.fields)
        if item_id is None:
            title, action, delete_url, (back_url, back_label) = self.new_title, f"{self.base}/new", None, self.back
        else:
            title = fill(self.edit_title, form)
            action, delete_url = self.item_url(item_id) + self.edit_path, f"{self.item_url(item_id)}/delete"
            back_url, back_label = (self.item_url(item_id), self.record_label) if self.record_label else self.back
        return admin_page(request, actor, "admin/commerce/form.html", status_code, section=self.section, title=title,
                          fields=fields, form=dict(form), errors=errors or {}, action=action, delete_url=delete_url,
                          back_url=back_url, back_label=back_label, readonly=not actor.can(self.permission))


def add_resource_routes(router: APIRouter, resource: Resource[Any]) -> None:
    """Adds the resource's pages to `router` (whose prefix `resource.base` starts with). Call it before adding the
    module's own routes below base/{id}, so that base/new is not taken for an id."""
    r = resource
    path = r.base.removeprefix(router.prefix)
    list_url = r.list_url or r.base

    async def create(request: Request, engine: EngineDep, actor: PageActor) -> Response:
        return await submit(request, await check_csrf(request), engine, actor, r.create,
                            lambda form: (r.command(form),), known=r.names,
                            again=partial(r.form_page, request, engine, actor, item_id=None),
                            message=f"{r.noun} {{{r.label}}} created",
                            to=lambda new_id: list_url if r.created_to_list else r.item_url(new_id))

    def new_form(request: Request, engine: EngineDep, actor: PageActor) -> Response:
        actor.require(r.permission)
        return r.form_page(request, engine, actor, r.defaults)

    def edit_form(item_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
        if r.edit_path:
            actor.require(r.permission)
        record = read(engine, actor, r.load, item_id)
        return r.form_page(request, engine, actor, r.values(record), item_id)

    async def update(item_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
        form = await check_csrf(request)
        await run(read, engine, actor, r.load, item_id)  # an unknown id is a 404, not a form error
        return await submit(request, form, engine, actor, r.update, lambda form: (item_id, r.command(form)),
                            known=r.names, again=partial(r.form_page, request, engine, actor, item_id=item_id),
                            message=f"{r.noun} {{{r.label}}} saved", to=r.item_url(item_id))

    async def delete(item_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
        return await remove(request, engine, actor, r.delete, item_id, message=f"{r.noun} deleted", to=list_url)

    if r.list_query is not None:
        query = r.list_query

        sortable = sorts(query)

        def listing(request: Request, engine: EngineDep, actor: PageActor, q: str = "", sort: str = "",
                    page_no: int = Query(default=1, ge=1, alias="page")) -> Response:
            return list_page(request, engine, actor, query, r.list_template, r.section, q, page_no,
                             sort=sort if sortable else None)

        router.add_api_route(path, listing, methods=["GET"], response_class=HTMLResponse)
    router.add_api_route(f"{path}/new", new_form, methods=["GET"], response_class=HTMLResponse)
    router.add_api_route(f"{path}/new", create, methods=["POST"])
    router.add_api_route(f"{path}/{{item_id}}{r.edit_path}", edit_form, methods=["GET"], response_class=HTMLResponse)
    router.add_api_route(f"{path}/{{item_id}}{r.edit_path}", update, methods=["POST"])
    router.add_api_route(f"{path}/{{item_id}}/delete", delete, methods=["POST"])

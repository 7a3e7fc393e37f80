"""Admin pages for sales channels at /admin/channels."""

from collections.abc import Mapping
from typing import Any

from stockyard.identity.domain import SETTINGS_MANAGE
from stockyard.sales import channels
from stockyard.sales.models import CHANNEL_KINDS, Channel
from stockyard.web.admin import ADMIN_SECTIONS, admin_router
from stockyard.web.admin_crud import Resource, add_resource_routes
from stockyard.web.admin_forms import FormField, checked
from stockyard.web.pages import given

FIELDS = (
    FormField("code", "Code", required=True, hint="short and unique, e.g. WEB-DE"),
    FormField("name", "Name", required=True),
    FormField("kind", "Kind", "select", required=True, options=[(k, k.upper() if k in ("b2b", "pos") else k)
                                                                  for k in CHANNEL_KINDS]),
    FormField("currency", "Default currency", required=True, placeholder="EUR"),
    FormField("prices_include_tax", "Prices are entered including tax", "checkbox"),
    FormField("tax_rate", "Tax rate", hint="0.19 for 19 %", placeholder="0.19"),
    FormField("domain", "Storefront host name", hint="shop.example.com; empty: the default shop"),
    FormField("hold_minutes", "Cart holds last (minutes)", required=True),
    FormField("allocation_strategy", "Allocate orders by", "select", required=True, options=[
        ("priority", "warehouse priority"), ("fewest_shipments", "fewest shipments"),
        ("nearest", "nearest to the customer"), ("cheapest_shipping", "cheapest shipping")]),
    FormField("allow_split_shipments", "Orders may ship from several warehouses", "checkbox"),
    FormField("active", "Active", "checkbox"),
)


def command(form: Mapping[str, Any]) -> channels.ChannelIn:
    return channels.ChannelIn(**given(form, "code", "name", "kind", "currency", "tax_rate", "domain", "hold_minutes",
                                      "allocation_strategy"),
                              prices_include_tax=checked(form, "prices_include_tax"), active=checked(form, "active"),
                              allow_split_shipments=checked(form, "allow_split_shipments"))


def form_values(channel: Channel) -> dict[str, Any]:
    return {k: ("on" if v is True else "" if v is False else v) for k, v in channels.channel_dict(channel).items()}


CHANNELS = Resource(
    base="/admin/channels", section="channels", permission=SETTINGS_MANAGE, noun="Channel", label="code",
    new_title="New channel", edit_title="Channel {code}", fields=FIELDS, command=command,
    create=channels.create_channel, update=channels.update_channel, delete=channels.delete_channel,
    load=channels.get_channel, values=form_values, back=("/admin/channels", "Channels"),
    defaults={"kind": "storefront", "currency": "EUR", "prices_include_tax": "on", "active": "on", "tax_rate": "0",
              "hold_minutes": "15", "allocation_strategy": "priority", "allow_split_shipments": "on"},
    list_query=channels.list_channels, list_template="admin/commerce/channels.html")

router = admin_router("/channels")
ADMIN_SECTIONS.append(("channels", "/admin/channels", "Channels"))
add_resource_routes(router, CHANNELS)

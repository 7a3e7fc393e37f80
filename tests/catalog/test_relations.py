"""Equivalents (symmetric groups), replacements (one way, dated, no cycles) and related items."""

from datetime import date

import pytest

from stockyard.catalog import admin_queries
from stockyard.catalog.relations import (
    AddRelated,
    SetReplacement,
    add_equivalent,
    add_related,
    equivalents_of,
    remove_equivalent,
    remove_related,
    remove_replacement,
    set_replacement,
)
from stockyard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from stockyard.core.uow import perform, read
from tests.catalog.catalog_support import make_skus
from tests.conftest import TenantCtx, new_tenant
from tests.inventory.support import assert_refused, events, role_actor


def _equivalents(ctx: TenantCtx, sku_id: int) -> list[str]:
    return read(ctx.engine, ctx.actor, equivalents_of, sku_id)


def test_equivalence_is_symmetric_and_transitive_across_additions(tenant: TenantCtx) -> None:
    ids = make_skus(tenant, "A", "B", "C", "D")
    perform(tenant.engine, tenant.actor, add_equivalent, ids["A"], "B")
    assert _equivalents(tenant, ids["A"]) == ["B"]
    assert _equivalents(tenant, ids["B"]) == ["A"]
    perform(tenant.engine, tenant.actor, add_equivalent, ids["B"], "C")
    assert _equivalents(tenant, ids["A"]) == ["B", "C"]
    assert _equivalents(tenant, ids["C"]) == ["A", "B"]
    assert _equivalents(tenant, ids["D"]) == []


def test_two_groups_merge_and_removing_one_leaves_the_others(tenant: TenantCtx) -> None:
    ids = make_skus(tenant, "A", "B", "C", "D")
    perform(tenant.engine, tenant.actor, add_equivalent, ids["A"], "B")
    perform(tenant.engine, tenant.actor, add_equivalent, ids["C"], "D")
    perform(tenant.engine, tenant.actor, add_equivalent, ids["D"], "A")
    assert _equivalents(tenant, ids["B"]) == ["A", "C", "D"]
    perform(tenant.engine, tenant.actor, remove_equivalent, ids["A"])
    assert _equivalents(tenant, ids["A"]) == []
    assert _equivalents(tenant, ids["B"]) == ["C", "D"]
    assert _equivalents(tenant, ids["D"]) == ["B", "C"]
    change = events(tenant, "sku.equivalents_changed.v1")[-1]
    assert change["sku"] == "A" and change["before"] == ["B", "C", "D"] and change["after"] == []


def test_a_pair_dissolves_when_one_leaves(tenant: TenantCtx) -> None:
    ids = make_skus(tenant, "A", "B")
    perform(tenant.engine, tenant.actor, add_equivalent, ids["A"], "B")
    perform(tenant.engine, tenant.actor, remove_equivalent, ids["B"])
    assert _equivalents(tenant, ids["A"]) == []
    # A can join a new group afterwards.
    perform(tenant.engine, tenant.actor, add_equivalent, ids["A"], "B")
    assert _equivalents(tenant, ids["B"]) == ["A"]


def test_bad_equivalents_are_refused_and_change_nothing(tenant: TenantCtx) -> None:
    ids = make_skus(tenant, "A", "B")
    perform(tenant.engine, tenant.actor, add_equivalent, ids["A"], "B")
    assert_refused(tenant, Conflict, "equivalent", add_equivalent, ids["B"], "A")
    assert_refused(tenant, ValidationFailed, "equivalent", add_equivalent, ids["A"], "A")
    assert_refused(tenant, NotFound, "equivalent", add_equivalent, ids["A"], "NOPE")
    assert_refused(tenant, PermissionDenied, "permission", add_equivalent, ids["A"], "B",
                   actor=role_actor(tenant, "read_only"))


def test_replacements_are_one_way_dated_and_never_cyclic(tenant: TenantCtx) -> None:
    ids = make_skus(tenant, "OLD", "MID", "NEW")
    perform(tenant.engine, tenant.actor, set_replacement, ids["OLD"],
            SetReplacement(replaced_by="MID", effective_on=date(2026, 1, 1)))
    perform(tenant.engine, tenant.actor, set_replacement, ids["MID"],
            SetReplacement(replaced_by="NEW", effective_on=date(2026, 6, 1)))
    old = read(tenant.engine, tenant.actor, admin_queries.sku_detail, ids["OLD"])
    mid = read(tenant.engine, tenant.actor, admin_queries.sku_detail, ids["MID"])
    assert old["replacement"] == {"code": "MID", "effective_on": date(2026, 1, 1)}
    assert mid["replacement"]["code"] == "NEW"
    assert [code for code, _ in mid["predecessors"]] == ["OLD"]
    error = assert_refused(tenant, ValidationFailed, "replaced_by", set_replacement, ids["NEW"],
                           SetReplacement(replaced_by="OLD", effective_on=date(2026, 7, 1)))
    assert "cycle" in error.message
    assert_refused(tenant, ValidationFailed, "replaced_by", set_replacement, ids["NEW"],
                   SetReplacement(replaced_by="NEW", effective_on=date(2026, 7, 1)))
    # Re-pointing OLD straight to NEW keeps one successor and records before/after.
    perform(tenant.engine, tenant.actor, set_replacement, ids["OLD"],
            SetReplacement(replaced_by="NEW", effective_on=date(2026, 2, 1)))
    last = events(tenant, "sku.replacement_set.v1")[-1]
    assert last["before"] == {"replaced_by": "MID", "effective_on": "2026-01-01"}
    assert last["after"] == {"replaced_by": "NEW", "effective_on": "2026-02-01"}
    perform(tenant.engine, tenant.actor, remove_replacement, ids["OLD"])
    assert read(tenant.engine, tenant.actor, admin_queries.sku_detail, ids["OLD"])["replacement"] is None
    assert_refused(tenant, NotFound, "sku_id", remove_replacement, ids["OLD"])


def test_related_items_are_one_way_with_a_kind(tenant: TenantCtx) -> None:
    ids = make_skus(tenant, "PUMP", "SEAL", "OIL")
    seal = perform(tenant.engine, tenant.actor, add_related, ids["PUMP"], AddRelated(related="SEAL", kind="accessory"))
    perform(tenant.engine, tenant.actor, add_related, ids["PUMP"], AddRelated(related="OIL", kind="bought_together"))
    pump = read(tenant.engine, tenant.actor, admin_queries.sku_detail, ids["PUMP"])
    assert [(kind, code) for _, kind, code, _ in pump["related"]] == [("accessory", "SEAL"), ("bought_together", "OIL")]
    assert read(tenant.engine, tenant.actor, admin_queries.sku_detail, ids["SEAL"])["related"] == []
    assert_refused(tenant, Conflict, "related", add_related, ids["PUMP"], AddRelated(related="SEAL", kind="accessory"))
    assert_refused(tenant, ValidationFailed, "related", add_related, ids["PUMP"],
                   AddRelated(related="PUMP", kind="accessory"))
    perform(tenant.engine, tenant.actor, remove_related, ids["PUMP"], seal)
    pump = read(tenant.engine, tenant.actor, admin_queries.sku_detail, ids["PUMP"])
    assert [code for _, _, code, _ in pump["related"]] == ["OIL"]
    assert events(tenant, "sku.related_removed.v1")[-1]["related"] == "SEAL"


def test_relations_never_reach_into_another_tenant(tenant: TenantCtx) -> None:
    ids = make_skus(tenant, "A")
    other = new_tenant(tenant.engine)
    other_ids = make_skus(other, "B")
    assert_refused(tenant, NotFound, "equivalent", add_equivalent, ids["A"], "B")
    assert_refused(tenant, NotFound, "sku_id", add_equivalent, other_ids["B"], "A")
    with pytest.raises(NotFound):
        perform(tenant.engine, tenant.actor, add_related, ids["A"], AddRelated(related="B", kind="accessory"))

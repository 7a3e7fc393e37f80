"""Storefront search over product names, descriptions, SKU codes, barcodes and OEM part numbers, ranked.

The index is one row per SKU, kept current by triggers (migration 0011):
- SQLite: FTS5 table `sku_fts`; every word of the query must match a word prefix (so "brak pad" finds "Brake pad
  set"), or the whole query, without separators, must prefix a code ("brmp850" finds BRM-P85020). Ranked by
  BM25 with codes weighted above names above descriptions.
- PostgreSQL: `sku_search` with a weighted tsvector (english stemming, prefix terms) plus pg_trgm: a code
  containing the query (GIN trigram index, "P8502" finds BRM-P85020), ranked by ts_rank. Only when that finds
  nothing (within the filters), typo-tolerant word similarity on names and codes ("brmbo" finds Brembo), ranked
  by the similarity; words shorter than MIN_TYPO_WORD take no part in it.
On both, an exact hit on a SKU code, a barcode or a part number (ignoring case and separators) ranks first.
"""

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    String,
    and_,
    bindparam,
    case,
    column,
    exists,
    func,
    literal,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.sql import ColumnElement, Select

from stockyard.catalog.storefront_queries import (
    BARCODES,
    PRODUCTS,
    SKUS,
    TENANT,
    Browse,
    Filters,
    Listing,
    Matches,
    Shop,
    listing,
)
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import CATALOG_VIEW

MAX_QUERY = 200
MAX_TERMS = 8
TYPO_SIMILARITY = 0.4  # pg_trgm word similarity from which a word counts as a typo of a word in the names

SearchResult = Listing
_TYPO_THRESHOLD = select(func.set_config("pg_trgm.word_similarity_threshold", str(TYPO_SIMILARITY), True))

_FTS = table("sku_fts", column("rowid", Integer), column("tenant_key"), column("codes"), column("names"),
             column("body"))
_PG = table("sku_search", column("sku_id", Integer), column("tenant_id", Integer), column("codes"),
            column("names"), column("document"))


@dataclass(frozen=True)
class SearchQuery:
    shop: Shop
    q: str
    filters: Filters = Filters()
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    low_stock: int = 5


def terms(q: str) -> list[str]:
    """The words of a query: letters and digits only (so nothing reaches a query language unescaped)."""
    return re.findall(r"[^\W_]+", q[:MAX_QUERY].lower())[:MAX_TERMS]


def _normalised(sql: ColumnElement[str]) -> ColumnElement[str]:
    """As the migration's normalisation: upper case without '-', '.', ' ' and '/'."""
    for sep in ("-", ".", " ", "/"):
        sql = func.replace(sql, sep, "")
    return func.upper(sql)


RAW = bindparam("q_raw", type_=String)
COMPACT = bindparam("q_compact", type_=String)


def _exact(sku_id: ColumnElement[int]) -> ColumnElement[int]:
    """1 when the query is the SKU's code or its product's part number (ignoring case and separators) or one of
    its barcodes."""
    s, p = SKUS.alias("exact_sku"), PRODUCTS.alias("exact_product")
    hit = exists(select(literal(1)).select_from(s.join(p, p.c.id == s.c.product_id)).where(
        s.c.id == sku_id, s.c.tenant_id == TENANT,
        or_(_normalised(s.c.code) == COMPACT, _normalised(p.c.part_number) == COMPACT)))
    barcode = exists(select(literal(1)).where(BARCODES.c.tenant_id == TENANT, BARCODES.c.sku_id == sku_id,
                                              BARCODES.c.code == RAW))
    return case((or_(hit, barcode), 1), else_=0)


def _exact_in_codes(codes: ColumnElement[str]) -> ColumnElement[int]:
    """As _exact, from the index row's own codes (each SKU code, normalised code, barcode, part number and
    normalised part number, separated by spaces), with no subquery: PostgreSQL would otherwise turn _exact into a
    hashed scan of every SKU of the tenant."""
    padded = func.concat(" ", codes, " ")
    return case((or_(func.strpos(padded, func.concat(" ", COMPACT, " ")) > 0,
                     func.strpos(padded, func.concat(" ", RAW, " ")) > 0), 1), else_=0)


def _sqlite_build() -> Select[Any]:
    score = -func.bm25(text("sku_fts"), 0.0, 0.0, 10.0, 5.0, 1.0)
    return (select(_FTS.c.rowid.label("sku_id"), score.label("score"), _exact(_FTS.c.rowid).label("exact"))
            .where(text("sku_fts MATCH :fts")))


def sqlite_matches(tenant_id: int, q: str) -> Matches:
    """Every word as a prefix (in any column), or the whole query without separators as the start of a code;
    narrowed to the tenant inside the FTS index. Words are quoted: nothing reaches FTS5's query syntax."""
    words = terms(q)
    compact = "".join(words)
    prefixes = " ".join(f'"{w}"*' for w in words)
    fts = f'tenant_key:"t{tenant_id}" AND (({prefixes}) OR codes:"{compact}"*)'
    return Matches(("sqlite",), _sqlite_build, {"fts": fts, "q_raw": q.strip(), "q_compact": compact.upper()})


MIN_TYPO_WORD = 3  # shorter words are not matched by trigram similarity (too many near misses, slow)


def _postgres_build(infix: bool) -> Select[Any]:
    """The normal search: every word as a prefix of a word of the document, or the query inside a code."""
    tsquery = func.to_tsquery("english", bindparam("tsquery", type_=String))
    found = [_PG.c.document.op("@@")(tsquery)]
    if infix:
        found.append(_PG.c.codes.like(bindparam("code_like", type_=String)))
    score = func.ts_rank(_PG.c.document, tsquery, type_=Float)
    return (select(_PG.c.sku_id.label("sku_id"), score.label("score"), _exact_in_codes(_PG.c.codes).label("exact"))
            .where(_PG.c.tenant_id == TENANT, or_(*found)))


def _postgres_typo_build(words: int, short: bool, codes: bool) -> Select[Any]:
    """Typo tolerance, the fallback when the normal search finds nothing: every long enough word close to a word
    of the names (trigram word similarity, GIN-indexed) and every shorter word as a word prefix, or the whole
    query close to a code."""
    found = []
    if words:
        close = [bindparam(f"word_{i}", type_=String).op("<%")(_PG.c.names) for i in range(words)]
        if short:
            close.append(_PG.c.document.op("@@")(func.to_tsquery("simple", bindparam("short", type_=String))))
        found.append(and_(*close))
    if codes:
        found.append(COMPACT.op("<%")(_PG.c.codes))
    similar = func.greatest(func.word_similarity(bindparam("q_words", type_=String), _PG.c.names),
                            func.word_similarity(COMPACT, _PG.c.codes))
    return (select(_PG.c.sku_id.label("sku_id"), similar.label("score"), _exact_in_codes(_PG.c.codes).label("exact"))
            .where(_PG.c.tenant_id == TENANT, or_(*found)))


def postgres_matches(q: str) -> Matches:
    """The normal search. Words are letters and digits only, so the tsquery text is well formed."""
    words = terms(q)
    compact = "".join(words).upper()
    infix = len(compact) >= 3
    params: dict[str, Any] = {"tsquery": " & ".join(f"{w}:*" for w in words), "q_raw": q.strip(),
                              "q_compact": compact}
    if infix:
        params["code_like"] = f"%{compact}%"
    return Matches(("postgresql", infix), lambda: _postgres_build(infix), params)


def postgres_typo_matches(q: str) -> Matches | None:
    """The typo-tolerant search, or None when the query has no word long enough for it. Run after
    `set_config('pg_trgm.word_similarity_threshold', ...)` (search_products does)."""
    words = [w for w in terms(q) if len(w) >= MIN_TYPO_WORD]
    short = [w for w in terms(q) if len(w) < MIN_TYPO_WORD]
    compact = "".join(terms(q)).upper()
    codes = len(compact) >= MIN_TYPO_WORD
    if not words and not codes:
        return None
    params: dict[str, Any] = {"q_words": " ".join(words) or compact.lower(), "q_raw": q.strip(),
                              "q_compact": compact}
    params |= {f"word_{i}": w for i, w in enumerate(words)}
    if words and short:
        params["short"] = " & ".join(f"{w}:*" for w in short)
    shape = ("postgresql-typo", len(words), bool(words and short), codes)
    return Matches(shape, lambda: _postgres_typo_build(len(words), bool(words and short), codes), params)


@requires(CATALOG_VIEW)
def search_products(uow: UnitOfWork, query: SearchQuery) -> SearchResult:
    """Hits for the query within the filters, ranked (or sorted as asked), with total and facets. A query
    without words lists the whole assortment."""
    browse = Browse(query.shop, query.filters, query.sort, query.page, query.per_page, query.low_stock)
    if not terms(query.q):
        return listing(uow, Browse(query.shop, query.filters, "name" if query.sort == "relevance" else query.sort,
                                   query.page, query.per_page, query.low_stock))
    if uow.conn.dialect.name != "postgresql":
        return listing(uow, browse, sqlite_matches(uow.tenant_id, query.q))
    found = listing(uow, browse, postgres_matches(query.q))
    if found.total:
        return found
    typo = postgres_typo_matches(query.q)  # nothing found: perhaps a typo
    if typo is None:
        return found
    uow.conn.execute(_TYPO_THRESHOLD)
    return listing(uow, browse, typo)

"""GET list: PYBOSSA's paging (limit/offset/last_id), ordering, filters and owner filtering."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from werkzeug.datastructures import MultiDict

from pbsync.server.context import Caller
from pbsync.server.errors import ApiError
from pbsync.server.schema import BOOL, FILTERABLE_USER_KEYS, FLOAT, INT, JSON, Resource
from pbsync.server.store import Row, Store

log = logging.getLogger(__name__)

#: query arguments that are not filters
CONTROL_ARGS = frozenset(
    {
        "limit",
        "offset",
        "api_key",
        "last_id",
        "all",
        "fulltextsearch",
        "desc",
        "orderby",
        "related",
        "participated",
        "full",
        "stats",
    }
)
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
#: PostgreSQL's integer columns (ids, project_id ...) hold 32 bits
INT4_MAX = 2**31 - 1
#: SQL deciding whether a project (aliased `p`) is owned by the user bound to the placeholder
OWNED = "EXISTS (SELECT 1 FROM json_each(p.owners_ids) WHERE json_each.value = ?)"
TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y", "on"})


def fuzzy_bool(text: str | None) -> bool:
    """Interpret a query flag as PYBOSSA does (`true`, `1`, `yes` ...)."""
    return (text or "").strip().lower() in TRUE_WORDS


def check_args(
    res: Resource, args: MultiDict[str, str], allowed: frozenset[str] = CONTROL_ARGS
) -> None:
    """Refuse query arguments that are neither control arguments nor columns.

    Raises:
        ApiError: 415 AttributeError, as PYBOSSA's `getattr(Model, key)` fails.
    """
    for key in args:
        if key in allowed or res.column(key) is not None:
            continue
        if res.name == "task" and key == "external_uid":
            continue
        raise ApiError("AttributeError", f"type object '{res.cls}' has no attribute '{key}'")


def _int_arg(text: str | None, default: int, name: str) -> int:
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        return default
    if value < 0:
        raise ApiError(
            "DataError",
            f"(psycopg2.errors.InvalidRowCountInLimitClause) {name.upper()} must not be negative",
        )
    return value


def out_of_range(text: str) -> ApiError:
    """Return PostgreSQL's DataError for an integer argument beyond its 32-bit column."""
    detail = f'value "{text}" is out of range for type integer'
    return ApiError("DataError", f"(psycopg2.errors.NumericValueOutOfRange) {detail}")


def _int4(text: str, number: int) -> int:
    if abs(number) > INT4_MAX:
        raise out_of_range(text)
    return number


def syntax_error(kind: str, text: str) -> ApiError:
    """Return PostgreSQL's DataError for a value that is not of the column's type."""
    detail = f'invalid input syntax for type {kind}: "{text}"'
    return ApiError("DataError", f"(psycopg2.errors.InvalidTextRepresentation) {detail}")


def _filter_value(res: Resource, key: str, text: str) -> Any:
    col = res.column(key)
    assert col is not None
    if col.kind in (INT, FLOAT):
        try:
            if col.kind == FLOAT:
                return float(text)
            return _int4(text, int(text))
        except ValueError:
            kind = "integer" if col.kind == INT else "double precision"
            raise syntax_error(kind, text) from None
    if col.kind == BOOL:
        return 1 if fuzzy_bool(text) else 0
    if col.kind == JSON:
        try:
            return json.dumps(json.loads(text))
        except ValueError:
            return json.dumps(text)
    return text


def _info_clause(text: str) -> tuple[str, list[Any]]:
    if "::" not in text:
        return "info = ?", [_json_text(text)]
    clauses, params = [], []
    for pair in text.split("|"):
        key, _, value = pair.partition("::")
        clauses.append(
            "EXISTS (SELECT 1 FROM json_each(t.info) j WHERE j.key = ? AND "
            "(CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
            "ELSE CAST(j.value AS TEXT) END) = ?)"
        )
        params += [key, value]
    return " AND ".join(clauses), params


def _json_text(text: str) -> str:
    try:
        return json.dumps(json.loads(text))
    except ValueError:
        return json.dumps(text)


def _where(res: Resource, args: MultiDict[str, str], who: Caller) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    for key in args:
        if key in CONTROL_ARGS or _private(res, key, who):
            continue
        text = args.get(key, "")
        if key == "info":
            clause, more = _info_clause(text)
            where.append(clause)
            params += more
        elif key == "project_id":
            # PYBOSSA ORs the digit runs of the text (`1x2` is 1 or 2; no digits: no filter)
            runs = re.findall(r"\d+", text)
            if runs:
                where.append(f"t.project_id IN ({', '.join('?' * len(runs))})")
                params += [_int4(run, int(run)) for run in runs]
        elif key == "external_uid" and res.name == "task":
            where.append("t.id IN (SELECT task_id FROM taskrun WHERE external_uid = ?)")
            params.append(text)
        else:
            where.append(f't."{key}" = ?')
            params.append(_filter_value(res, key, text))
    all_rows = args.get("all") == "1"
    scope = _scope(res, who, all_rows)
    if scope:
        where.append(scope[0])
        params += scope[1]
    return where, params


def _private(res: Resource, column: str, who: Caller) -> bool:
    return res.name == "user" and not who.admin and column not in FILTERABLE_USER_KEYS


def _scope(res: Resource, who: Caller, all_rows: bool) -> tuple[str, list[Any]] | None:
    if res.name == "project":
        if who.id is None:
            return "t.published = 1", []
        if not all_rows:
            return OWNED.replace("p.", "t."), [who.id]
        if not who.admin:
            return "(t.published = 1 OR " + OWNED.replace("p.", "t.") + ")", [who.id]
        return None
    if res.project_scoped and who.id is not None and not all_rows:
        return f"t.project_id IN (SELECT p.id FROM project p WHERE {OWNED})", [who.id]
    return None


def list_rows(store: Store, res: Resource, args: MultiDict[str, str], who: Caller) -> list[Row]:
    """Return the rows a GET list answers, before presentation.

    Raises:
        ApiError: 415 for unknown arguments, negative limit/offset, bad filter values.
    """
    check_args(res, args)
    limit = min(MAX_LIMIT, _int_arg(args.get("limit"), DEFAULT_LIMIT, "limit"))
    offset = _int_arg(args.get("offset"), 0, "offset")
    if offset > 2**63 - 1:
        detail = "bigint out of range"
        raise ApiError("DataError", f"(psycopg2.errors.NumericValueOutOfRange) {detail}")
    where, params = _where(res, args, who)
    last_id = args.get("last_id")
    if last_id is not None:
        try:
            cursor = int(last_id)
        except ValueError:
            raise syntax_error("integer", last_id) from None
        where.append("t.id > ?")
        params.append(_int4(last_id, cursor))
        tail = "ORDER BY t.id ASC LIMIT ?"
        params.append(limit)
    else:
        tail = f"ORDER BY {_order(res, args, who)} LIMIT ? OFFSET ?"
        params += [limit, offset]
    if limit == 0:
        return []
    sql = f'SELECT t.* FROM "{res.name}" t WHERE {" AND ".join(where) or "1"} {tail}'
    return [store.decode(res, r) for r in store.query(sql, params)]


def _order(res: Resource, args: MultiDict[str, str], who: Caller) -> str:
    column = args.get("orderby") or "id"
    if res.column(column) is None:
        raise ApiError("AttributeError", f"type object '{res.cls}' has no attribute '{column}'")
    if _private(res, column, who):
        column = "id"  # ordering by a secret column would leak it bit by bit
    direction = "DESC" if fuzzy_bool(args.get("desc")) else "ASC"
    if column == "id":
        return f"t.id {direction}"
    return f't."{column}" {direction}, t.id {direction}'

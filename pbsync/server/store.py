"""SQLite storage of the local server: one connection guarded by a lock, WAL for file databases.

One connection (rather than one per thread) keeps `:memory:` databases shared between waitress'
threads, and a lock around it is cheap next to an HTTP round trip. Every statement is parameterised;
column names only ever come from `schema` (never from a request).
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs

from pbsync.server import schema
from pbsync.server.errors import ApiError
from pbsync.server.schema import BOOL, JSON, Resource

log = logging.getLogger(__name__)

Row = dict[str, Any]

#: PYBOSSA's two default categories
DEFAULT_CATEGORIES = (
    ("Thinking", "thinking", "Volunteer Thinking projects"),
    ("Volunteer Sensing", "sensing", "Volunteer Sensing projects"),
)
ADMIN_NAME = "admin"


def default_db_path() -> Path:
    """Return the default database of `pbsync serve` (and of the sync CLI's embedded server)."""
    return Path(platformdirs.user_data_dir("pbsync")) / "server.sqlite3"


def now_iso() -> str:
    """Return the current UTC time as PYBOSSA writes it (ISO 8601, no timezone)."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat()


def new_api_key() -> str:
    """Return a fresh API key in PYBOSSA's format (a UUID4)."""
    return str(uuid.uuid4())


class Store:
    """The server's database.

    Args:
        path: a file path, or ":memory:" for a throwaway database.
    """

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self.lock = threading.RLock()
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._users_by_key: dict[str, Row] = {}
        self._setup()

    @property
    def in_memory(self) -> bool:
        """True for a `:memory:` database."""
        return self.path == ":memory:"

    def _setup(self) -> None:
        conn = self._conn
        if not self.in_memory:
            conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable across application crashes in WAL mode; only power loss may lose
            # the last transactions, which is fine for a development server.
            conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        with self.transaction():
            for res in (schema.USER, schema.CATEGORY, schema.PROJECT):
                conn.execute(schema.table_sql(res))
            for res in (schema.TASK, schema.TASKRUN, schema.RESULT, schema.HELPINGMATERIAL):
                conn.execute(schema.table_sql(res))
            for sql in schema.EXTRA_SQL:
                conn.execute(sql)

    def close(self) -> None:
        """Close the connection."""
        with self.lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and run the block in one transaction (nested blocks join the outer one)."""
        with self.lock:
            if self._conn.in_transaction:
                yield self._conn
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # -- rows ------------------------------------------------------------------------------------

    @staticmethod
    def decode(res: Resource, row: sqlite3.Row) -> Row:
        """Turn a database row into the API object (booleans and JSON decoded)."""
        out: Row = {}
        for col in res.columns:
            value = row[col.name]
            if value is not None and col.kind == BOOL:
                value = bool(value)
            elif value is not None and col.kind == JSON:
                value = json.loads(value)
            out[col.name] = value
        return out

    @staticmethod
    def _encode(res: Resource, values: Mapping[str, Any]) -> dict[str, Any]:
        out = {}
        for key, value in values.items():
            col = res.column(key)
            if col is not None and col.kind == JSON and value is not None:
                text = json.dumps(value)
                # these escapes are rare (non-BMP characters, NUL): look closer only when present
                if "\\ud" in text or "\\u0000" in text:
                    check_json_value(value)
                value = text
            out[key] = value
        return out

    def query(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        """Run a read query and return its rows."""
        with self.lock:
            return self._conn.execute(sql, params).fetchall()

    def select(
        self, res: Resource, where: str = "1", params: Any = (), tail: str = ""
    ) -> list[Row]:
        """Return decoded rows of `res` matching `where` (SQL with ? placeholders) + `tail`."""
        rows = self.query(f'SELECT * FROM "{res.name}" WHERE {where} {tail}', params)
        return [self.decode(res, r) for r in rows]

    def get(self, res: Resource, oid: int) -> Row | None:
        """Return the object with id `oid`, or None."""
        if not 0 < oid < 2**63:
            return None
        rows = self.select(res, "id = ?", (oid,))
        return rows[0] if rows else None

    def project_owners(self, project_id: int) -> Row | None:
        """Return a project's `id`, `owner_id`, `owners_ids` and `allow_anonymous_contributors`.

        Permission checks on every task or helping material write need only these; reading the
        whole row would decode the project's info (the task presenter: often tens of kB) each time.
        """
        if not 0 < project_id < 2**63:
            return None
        with self.lock:
            row = self._conn.execute(
                "SELECT id, owner_id, owners_ids, allow_anonymous_contributors FROM project "
                "WHERE id = ?",
                (project_id,),
            ).fetchone()
        if row is None:
            return None
        anonymous = row["allow_anonymous_contributors"]
        return {
            "id": row["id"],
            "owner_id": row["owner_id"],
            "owners_ids": json.loads(row["owners_ids"]) if row["owners_ids"] else None,
            "allow_anonymous_contributors": None if anonymous is None else bool(anonymous),
        }

    def insert(self, res: Resource, values: Mapping[str, Any]) -> Row:
        """Insert an object and return it as stored.

        Raises:
            ApiError: DBIntegrityError for a unique, not-null or foreign-key violation.
        """
        data = self._encode(res, values)
        cols = ", ".join(f'"{k}"' for k in data)
        marks = ", ".join("?" for _ in data)
        sql = f'INSERT INTO "{res.name}" ({cols}) VALUES ({marks})'
        # one statement is its own transaction in autocommit mode: no BEGIN/COMMIT round trips
        with self.lock:
            try:
                cur = self._conn.execute(sql, tuple(data.values()))
            except sqlite3.IntegrityError as exc:
                raise integrity_error(res, exc, values, "INSERT") from None
            oid = cur.lastrowid
        assert oid is not None
        # the stored row is what was inserted (no column has a database-side default), so no
        # re-read is needed; JSON columns are decoded from the text just stored, so callers never
        # share mutable values with the caller's body
        row = {}
        for col in res.columns:
            value = data.get(col.name)
            row[col.name] = json.loads(value) if col.kind == JSON and value is not None else value
        row["id"] = oid
        return row

    def update(self, res: Resource, oid: int, values: Mapping[str, Any]) -> Row:
        """Update columns of one object and return it.

        Raises:
            ApiError: DBIntegrityError for a unique, not-null or foreign-key violation;
                NotFound when the object was deleted meanwhile (a concurrent DELETE).
        """
        data = self._encode(res, values)
        with self.transaction() as conn:
            if data:
                sets = ", ".join(f'"{k}" = ?' for k in data)
                try:
                    conn.execute(
                        f'UPDATE "{res.name}" SET {sets} WHERE id = ?', (*data.values(), oid)
                    )
                except sqlite3.IntegrityError as exc:
                    raise integrity_error(res, exc, values, "UPDATE") from None
            row = self.get(res, oid)
        if row is None:
            # deleted by another request between the view's read and this write
            raise ApiError("NotFound")
        return row

    def delete(self, res: Resource, oid: int) -> bool:
        """Delete one object and what PYBOSSA deletes with it.

        Returns:
            False when the object was not there (another request deleted it first).

        Raises:
            ApiError: DBIntegrityError when other rows still reference it (a used category).
        """
        with self.transaction() as conn:
            if res.name == "project":
                for child in ("handout", "result", "taskrun", "helpingmaterial"):
                    if child == "handout":
                        conn.execute(
                            "DELETE FROM handout WHERE task_id IN "
                            "(SELECT id FROM task WHERE project_id = ?)",
                            (oid,),
                        )
                    else:
                        conn.execute(f'DELETE FROM "{child}" WHERE project_id = ?', (oid,))
                conn.execute("DELETE FROM task WHERE project_id = ?", (oid,))
            elif res.name == "task":
                for child in ("handout", "result", "taskrun"):
                    conn.execute(f'DELETE FROM "{child}" WHERE task_id = ?', (oid,))
            try:
                deleted = conn.execute(f'DELETE FROM "{res.name}" WHERE id = ?', (oid,))
            except sqlite3.IntegrityError as exc:
                raise integrity_error(res, exc, {}, "DELETE") from None
            return deleted.rowcount > 0

    # -- users and settings ------------------------------------------------------------------------

    def user_by_key(self, key: str) -> Row | None:
        """Return the user owning API key `key`, or None."""
        with self.lock:
            user = self._users_by_key.get(key)
            if user is None:
                rows = self.select(schema.USER, "api_key = ?", (key,))
                if rows:
                    user = self._users_by_key[key] = rows[0]
            return user

    def create_user(self, name: str, *, admin: bool = False, api_key: str | None = None) -> Row:
        """Create a user (a random key unless `api_key`) and return it."""
        values = {
            "created": now_iso(),
            "name": name,
            "fullname": name,
            "email_addr": f"{name}@localhost",
            "locale": "en",
            "api_key": api_key or new_api_key(),
            "admin": admin,
            "pro": False,
            "privacy_mode": True,
            "restrict": False,
            "valid_email": True,
            "info": {},
        }
        return self.insert(schema.USER, values)

    def setting(self, key: str) -> str | None:
        """Return a stored setting."""
        rows = self.query("SELECT value FROM setting WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_setting(self, key: str, value: str) -> None:
        """Store a setting."""
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", (key, value))

    def bootstrap(self, api_key: str | None = None) -> Row:
        """Create the admin user and the default categories if missing; return the admin.

        Args:
            api_key: fixes the admin's key (replacing a stored one).
        """
        with self.transaction() as conn:
            admins = self.select(schema.USER, "admin = 1 ORDER BY id LIMIT 1")
            if not admins:
                admin = self.create_user(ADMIN_NAME, admin=True, api_key=api_key)
            else:
                admin = admins[0]
                if api_key and admin["api_key"] != api_key:
                    conn.execute("UPDATE user SET api_key = ? WHERE id = ?", (api_key, admin["id"]))
                    admin = dict(admin, api_key=api_key)
            if not self.query("SELECT 1 FROM category LIMIT 1"):
                for name, short_name, description in DEFAULT_CATEGORIES:
                    values = {"name": name, "short_name": short_name, "description": description}
                    self.insert(schema.CATEGORY, dict(values, created=now_iso(), info={}))
            if self.setting("secret") is None:
                self.set_setting("secret", secrets.token_hex(16))
        self._users_by_key.clear()
        return admin

    def reset(self) -> None:
        """Delete everything but the admin user; recreate the default categories (ids 1 and 2)."""
        with self.transaction() as conn:
            admin = self.select(schema.USER, "admin = 1 ORDER BY id LIMIT 1")
            for table in ("handout", "result", "taskrun", "task", "helpingmaterial", "project"):
                conn.execute(f'DELETE FROM "{table}"')
            conn.execute("DELETE FROM category")
            keep = admin[0]["id"] if admin else 0
            conn.execute("DELETE FROM user WHERE id != ?", (keep,))
            conn.execute("DELETE FROM sqlite_sequence WHERE name != 'user'")
            conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'user'", (keep,))
            self._users_by_key.clear()
            self.bootstrap()


def check_json_value(value: Any) -> None:
    """Refuse JSON PostgreSQL's jsonb refuses: strings (or keys) with unpaired UTF-16 surrogates
    or NUL characters (pbsync's loader refuses both before pushing).

    Raises:
        ApiError: 415 DataError, as psycopg2 reports PostgreSQL's refusal.
    """
    stack = [value]  # iterative: a body nested close to the recursion limit must not overflow
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            _check_json_string(item)


def _check_json_string(text: str) -> None:
    if "\x00" in text:
        raise ApiError(
            "DataError",
            "(psycopg2.errors.UntranslatableCharacter) unsupported Unicode escape sequence\n"
            "DETAIL:  \\u0000 cannot be converted to text.",
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(
            "DataError",
            "(psycopg2.errors.UntranslatableCharacter) unsupported Unicode escape sequence\n"
            "DETAIL:  Unicode low surrogate must follow a high surrogate.",
        ) from None


def integrity_error(
    res: Resource, exc: sqlite3.IntegrityError, values: Mapping[str, Any], verb: str
) -> ApiError:
    """Translate a SQLite integrity error into PYBOSSA's DBIntegrityError (quoting PostgreSQL)."""
    text = str(exc)
    table = res.name
    if text.startswith("UNIQUE constraint failed:"):
        column = text.split(".")[-1].strip()
        detail = (
            f'duplicate key value violates unique constraint "{table}_{column}_key"\n'
            f"DETAIL:  Key ({column})=({values.get(column)}) already exists."
        )
        kind = "UniqueViolation"
    elif text.startswith("NOT NULL constraint failed:"):
        column = text.split(".")[-1].strip()
        detail = f'null value in column "{column}" violates not-null constraint'
        kind = "NotNullViolation"
    else:
        if verb == "DELETE":
            detail = f'update or delete on table "{table}" violates a foreign key constraint'
        else:
            detail = f'insert or update on table "{table}" violates a foreign key constraint'
        kind = "ForeignKeyViolation"
    columns = ", ".join(k for k in values if res.column(k) is not None)
    sql = f"{verb} {table} ({columns})" if verb != "DELETE" else f"DELETE FROM {table}"
    message = (
        f"(psycopg2.errors.{kind}) {detail}\n\n[SQL: {sql}]\n"
        "(Background on this error at: https://sqlalche.me/e/14/gkpj)"
    )
    return ApiError("DBIntegrityError", message)


__all__ = ["Row", "Store", "default_db_path", "new_api_key", "now_iso"]

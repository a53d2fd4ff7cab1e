"""The resources the local server stores: columns, body rules and the SQLite tables.

Each `Resource` says which columns an object has (the exact keys PYBOSSA returns), which keys a body
may not carry (`reserved`, answered 400) and which it may carry (`writable`; anything else is a 415
TypeError, as SQLAlchemy refuses an unknown keyword argument).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: value kinds: how a column is checked, stored and decoded
INT, FLOAT, BOOL, STR, TEXT, JSON, TIME = "int", "float", "bool", "str", "text", "json", "time"


@dataclass(frozen=True)
class Column:
    """One column: its kind, whether NULL is refused, uniqueness and the varchar length."""

    name: str
    kind: str
    not_null: bool = False
    unique: bool = False
    max_length: int | None = None


@dataclass(frozen=True)
class Resource:
    """A resource of the API and its table."""

    name: str
    cls: str
    columns: tuple[Column, ...]
    reserved: frozenset[str] = frozenset({"id", "created"})
    writable: frozenset[str] = frozenset()
    defaults: dict[str, object] = field(default_factory=dict)
    project_scoped: bool = True

    _by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # looked up for every key of every body, filter and row: a dict, not a scan
        object.__setattr__(self, "_by_name", {c.name: c for c in self.columns})

    @property
    def keys(self) -> tuple[str, ...]:
        """Column names, in table order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column | None:
        """Return the column called `name`, if any."""
        return self._by_name.get(name)


def _cols(*specs: Column) -> tuple[Column, ...]:
    return (Column("id", INT), Column("created", TIME), *specs)


PROJECT = Resource(
    "project",
    "Project",
    _cols(
        Column("updated", TIME),
        Column("name", STR, not_null=True, unique=True, max_length=255),
        Column("short_name", STR, not_null=True, unique=True, max_length=255),
        Column("description", STR, not_null=True, max_length=255),
        Column("long_description", TEXT),
        Column("webhook", TEXT),
        Column("allow_anonymous_contributors", BOOL),
        Column("published", BOOL, not_null=True),
        Column("featured", BOOL, not_null=True),
        Column("contacted", BOOL, not_null=True),
        Column("owner_id", INT, not_null=True),
        Column("owners_ids", JSON),
        Column("category_id", INT, not_null=True),
        Column("info", JSON),
        Column("secret_key", STR, max_length=255),
        Column("zip_download", BOOL, not_null=True),
    ),
    reserved=frozenset({"id", "created", "updated", "completed", "contacted", "secret_key"}),
    writable=frozenset(
        {
            "name",
            "short_name",
            "description",
            "long_description",
            "webhook",
            "allow_anonymous_contributors",
            "published",
            "featured",
            "owner_id",
            "owners_ids",
            "category_id",
            "info",
            "zip_download",
        }
    ),
    defaults={
        "long_description": "",
        "allow_anonymous_contributors": True,
        "published": False,
        "featured": False,
        "contacted": False,
        "info": {},
        "zip_download": True,
        "webhook": None,
    },
    project_scoped=False,
)

CATEGORY = Resource(
    "category",
    "Category",
    _cols(
        Column("name", STR, not_null=True, unique=True, max_length=255),
        Column("short_name", STR, not_null=True, unique=True, max_length=255),
        Column("description", TEXT, not_null=True),
        Column("info", JSON),
    ),
    writable=frozenset({"name", "short_name", "description", "info"}),
    defaults={"info": {}},
    project_scoped=False,
)

TASK = Resource(
    "task",
    "Task",
    _cols(
        Column("project_id", INT, not_null=True),
        Column("state", STR, max_length=255),
        Column("quorum", INT),
        Column("calibration", INT),
        Column("priority_0", FLOAT),
        Column("info", JSON),
        Column("n_answers", INT),
        Column("fav_user_ids", JSON),
    ),
    reserved=frozenset({"id", "created", "state", "fav_user_ids"}),
    writable=frozenset({"project_id", "quorum", "calibration", "priority_0", "info", "n_answers"}),
    defaults={
        "state": "ongoing",
        "quorum": 0,
        "calibration": 0,
        "priority_0": 0.0,
        "info": {},
        "n_answers": 30,
        "fav_user_ids": None,
    },
)

TASKRUN = Resource(
    "taskrun",
    "TaskRun",
    _cols(
        Column("project_id", INT, not_null=True),
        Column("task_id", INT, not_null=True),
        Column("user_id", INT),
        Column("user_ip", STR, max_length=255),
        Column("finish_time", TIME),
        Column("timeout", INT),
        Column("calibration", INT),
        Column("external_uid", STR, max_length=255),
        Column("info", JSON),
        Column("media_url", TEXT),
    ),
    reserved=frozenset({"id", "created", "finish_time"}),
    writable=frozenset(
        {
            "project_id",
            "task_id",
            "user_id",
            "user_ip",
            "timeout",
            "calibration",
            "external_uid",
            "info",
            "media_url",
        }
    ),
    defaults={"timeout": None, "calibration": None, "external_uid": None, "media_url": None},
)

RESULT = Resource(
    "result",
    "Result",
    _cols(
        Column("project_id", INT, not_null=True),
        Column("task_id", INT, not_null=True),
        Column("task_run_ids", JSON),
        Column("last_version", BOOL),
        Column("info", JSON),
    ),
    writable=frozenset({"project_id", "task_id", "task_run_ids", "last_version", "info"}),
    defaults={"last_version": True, "info": None},
)

HELPINGMATERIAL = Resource(
    "helpingmaterial",
    "HelpingMaterial",
    _cols(
        Column("project_id", INT, not_null=True),
        Column("info", JSON),
        Column("media_url", TEXT),
        Column("priority", FLOAT),
    ),
    writable=frozenset({"project_id", "info", "media_url", "priority"}),
    defaults={"info": {}, "media_url": None, "priority": 0.0},
)

USER = Resource(
    "user",
    "User",
    _cols(
        Column("name", STR, not_null=True, unique=True, max_length=254),
        Column("fullname", STR, max_length=500),
        Column("email_addr", STR, unique=True, max_length=254),
        Column("locale", STR, max_length=254),
        Column("api_key", STR, unique=True, max_length=36),
        Column("admin", BOOL),
        Column("pro", BOOL),
        Column("privacy_mode", BOOL),
        Column("restrict", BOOL),
        Column("valid_email", BOOL),
        Column("info", JSON),
    ),
    project_scoped=False,
)

RESOURCES: dict[str, Resource] = {
    r.name: r for r in (PROJECT, CATEGORY, TASK, TASKRUN, RESULT, HELPINGMATERIAL, USER)
}

#: keys of a project that anonymous callers and non-owners see
PUBLIC_PROJECT_KEYS = (
    "category_id",
    "created",
    "description",
    "featured",
    "id",
    "info",
    "long_description",
    "name",
    "owner_id",
    "owners_ids",
    "short_name",
    "updated",
)
#: info keys of a project that anonymous callers and non-owners see
PUBLIC_PROJECT_INFO = (
    "container",
    "thumbnail",
    "thumbnail_url",
    "task_presenter",
    "tutorial",
    "sched",
)
#: user keys anonymous callers see
PUBLIC_USER_KEYS = ("name", "locale")
#: user columns non-admins may filter and order by (others, such as email_addr, are ignored so
#: nobody can probe for a private value)
FILTERABLE_USER_KEYS = frozenset({"id", "name", "locale", "fullname", "created"})

_SQL_TYPES = {INT: "INTEGER", FLOAT: "REAL", BOOL: "INTEGER", STR: "TEXT", TEXT: "TEXT"}
_SQL_TYPES.update({JSON: "TEXT", TIME: "TEXT"})

#: foreign keys: (table, column) -> referenced table; ON DELETE rules are applied by the store
FOREIGN_KEYS = {
    ("project", "category_id"): "category",
    ("project", "owner_id"): "user",
}


def table_sql(res: Resource) -> str:
    """Return the CREATE TABLE statement of a resource."""
    parts = []
    for col in res.columns:
        if col.name == "id":
            parts.append("id INTEGER PRIMARY KEY AUTOINCREMENT")
            continue
        spec = f'"{col.name}" {_SQL_TYPES[col.kind]}'
        if col.not_null:
            spec += " NOT NULL"
        if col.unique:
            spec += " UNIQUE"
        ref = FOREIGN_KEYS.get((res.name, col.name))
        if ref:
            spec += f" REFERENCES {ref}(id)"
        parts.append(spec)
    return f'CREATE TABLE IF NOT EXISTS "{res.name}" ({", ".join(parts)})'


EXTRA_SQL = (
    # newtask hand-outs: who (user:<id> or ip:<addr>) may post a run for which task
    "CREATE TABLE IF NOT EXISTS handout (task_id INTEGER NOT NULL, who TEXT NOT NULL, "
    "PRIMARY KEY (task_id, who))",
    "CREATE TABLE IF NOT EXISTS setting (key TEXT PRIMARY KEY, value TEXT)",
    "CREATE INDEX IF NOT EXISTS task_project ON task (project_id)",
    "CREATE INDEX IF NOT EXISTS taskrun_task ON taskrun (task_id)",
    "CREATE INDEX IF NOT EXISTS taskrun_project ON taskrun (project_id)",
    "CREATE INDEX IF NOT EXISTS result_task ON result (task_id)",
    "CREATE INDEX IF NOT EXISTS hm_project ON helpingmaterial (project_id)",
)

"""The published content's version: a number the database moves on every committed write to
the tables readers see, whoever writes (services, bulk updates, raw SQL, the admin).

Triggers on those tables add to `tracker_contentchange`; the version is the sum of its
`weight` column. Why triggers rather than signals: bulk writes (update, bulk_create, delete
on a queryset) send no signals, and a cache keyed by a version they could skip would serve
stale pages. Why a log rather than one counter row: on Postgres one row updated by every
writer would queue all writing transactions behind each other, and deadlock with the row
locks the services take (`select_for_update`); inserts into a log never wait. A write is
counted when its transaction commits, and only then, so a reader never sees a version
newer than the data it reads next.

- Postgres: one statement-level trigger per table adds a row of weight 1. `compact()`
  replaces the rows it sees by one row of their total weight under the newest of their ids,
  in one statement, so neither the sum nor the stamp changes; beat runs it every hour.
- SQLite (one writer at a time): a row-level trigger per table and event keeps one row
  whose weight is the running total.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connections, transaction

LOG_TABLE = "tracker_contentchange"
# The catalogue's apps; auth (names and roles on pages, what the admin offers whom) and the
# admin (its log: the recent actions on its index).
COVERED_APPS = ("tracker", "evaluations", "forecasts", "replication", "auth", "admin")
# The heartbeat is written every minute and shown on no cached page (the health page is
# never cached); the log is the version itself.
IGNORED_MODELS = ("tracker.WorkerHeartbeat", "tracker.ContentChange")
POSTGRES_TRIGGER = "tracker_content_changed"
SQLITE_EVENTS = ("INSERT", "UPDATE", "DELETE")
COMPACT_LOCK = 0x7C0_17E17  # pg advisory lock key: one compaction at a time


def covered_tables() -> list[str]:
    """The tables whose writes move the version: every model table of COVERED_APPS
    (many-to-many tables included), less IGNORED_MODELS."""
    ignored = {label.lower() for label in IGNORED_MODELS}
    return sorted({
        model._meta.db_table
        for label in COVERED_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if model._meta.label_lower not in ignored and not model._meta.proxy
    })


def current(using: str = "default") -> int:
    """The version: the number of committed write statements (rows, on SQLite) so far."""
    return _totals(using)[0]


def stamp(using: str = "default") -> str:
    """"<version>.<newest log id>": what page keys hold. The id is there for a database
    whose count started again (a flush empties the log, but its ids go on from where they
    were)."""
    total, newest = _totals(using)
    return f"{total}.{newest}"


def _totals(using: str) -> tuple[int, int]:
    """One small aggregate: the log is compacted to a few rows."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(SUM(weight), 0), COALESCE(MAX(id), 0) FROM {LOG_TABLE}")
        total, newest = cursor.fetchone()
    return int(total), int(newest)


def install_triggers(using: str = "default") -> list[str]:
    """Adds the triggers a covered table lacks (idempotent; run after every migrate, so a
    table a later migration adds is covered too). Returns the tables it changed."""
    connection = connections[using]
    existing = set(connection.introspection.table_names())
    wanted = [table for table in covered_tables() if table in existing]
    if LOG_TABLE not in existing:
        return []
    if connection.vendor == "postgresql":
        return _install_postgres(connection, wanted)
    if connection.vendor == "sqlite":
        return _install_sqlite(connection, wanted)
    raise NotImplementedError(f"no content-version triggers for {connection.vendor}")


def installed_tables(using: str = "default") -> set[str]:
    """The tables that carry the trigger (every event, on SQLite)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = %s",
                           [POSTGRES_TRIGGER])
            return {name.strip('"') for (name,) in cursor.fetchall()}
        cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        names = cursor.fetchall()
    by_table: dict[str, set[str]] = {}
    for table, name in names:
        by_table.setdefault(table, set()).add(name)
    return {table for table, found in by_table.items()
            if found >= {_sqlite_trigger(table, event) for event in SQLITE_EVENTS}}


def compact(using: str = "default") -> int:
    """Folds the log into one row of the same total weight under the newest id it removed,
    so the stamp (version and newest id) stays what it was; returns the rows removed.
    Rows of transactions still open are not visible to the DELETE, so they stay and add
    their weight when they commit. Postgres only: SQLite's trigger keeps one row."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return 0
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [COMPACT_LOCK])
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute(f"SELECT COUNT(*) FROM {LOG_TABLE}")
        if cursor.fetchone()[0] <= 1:
            return 0  # nothing to fold
        cursor.execute(
            f"WITH gone AS (DELETE FROM {LOG_TABLE} RETURNING id, weight) "
            f"INSERT INTO {LOG_TABLE} (id, weight) SELECT MAX(id), SUM(weight) FROM gone "
            "HAVING COUNT(*) > 0 RETURNING (SELECT COUNT(*) FROM gone)"
        )
        row = cursor.fetchone()
        return int(row[0]) - 1 if row else 0


def _install_postgres(connection, tables: list[str]) -> list[str]:
    done = installed_tables(connection.alias)
    missing = [table for table in tables if table not in done]
    if not missing:
        return []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE OR REPLACE FUNCTION {POSTGRES_TRIGGER}() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN INSERT INTO {LOG_TABLE} (weight) VALUES (1); "
            "RETURN NULL; END $$"
        )
        for table in missing:
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER {POSTGRES_TRIGGER} "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {quote(table)} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {POSTGRES_TRIGGER}()"
            )
    return missing


def _install_sqlite(connection, tables: list[str]) -> list[str]:
    done = installed_tables(connection.alias)
    missing = [table for table in tables if table not in done]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in missing:
            for event in SQLITE_EVENTS:
                cursor.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {quote(_sqlite_trigger(table, event))} "
                    f"AFTER {event} ON {quote(table)} BEGIN "
                    f"INSERT INTO {LOG_TABLE} (weight) "
                    f"SELECT COALESCE(SUM(weight), 0) + 1 FROM {LOG_TABLE}; "
                    f"DELETE FROM {LOG_TABLE} WHERE id < last_insert_rowid(); END"
                )
    return missing


def _sqlite_trigger(table: str, event: str) -> str:
    return f"content_changed_{table}_{event.lower()}"

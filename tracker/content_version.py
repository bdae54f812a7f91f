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

Only a row that changes counts: an UPDATE whose new row equals the old one (the
reconciler's "release the locks nobody holds", a form saved unchanged) and a statement that
touches no row move nothing, so an idle site keeps its cached pages.

- Postgres: row-level triggers (the UPDATE one with `WHEN (OLD.* IS DISTINCT FROM NEW.*)`)
  add one row of weight 1 per table and statement that changed a row (a transaction-local
  setting remembers the statement already counted, so a bulk write of 10,000 rows adds one
  row, not 10,000);
  TRUNCATE, which has no rows, keeps a statement-level trigger. `compact()` replaces the
  rows it sees by one row of their total weight under the newest of their ids, in one
  statement, so neither the sum nor the stamp changes; beat runs it every hour.
- SQLite (one writer at a time): a row-level trigger per table and event (the UPDATE one
  with a WHEN comparing every column) keeps one row a table whose weight is its running
  total.

Each row names its table, so a page can be keyed by the versions of the tables it reads
(`stamp_of`, tracker/page_reads.py): a replication's progress then expires the
pages that show runs, not the forecasters' pages.

Live columns (LIVE_COLUMNS: a running replication's progress and heartbeat, rewritten every
few seconds) are counted apart: an UPDATE that changes only those adds a row under the
table's live name (`live_name`), not under the table, so the pages that read runs (the
market page, the paper pages, the run pages) stay cached while a run reports progress.
What shows those columns either reads them uncached (the progress fragment,
replication/views.py) or notes the live name as read (`page_reads.note`, the run
serializer), and its cached answer expires with them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.db import connections, transaction

LOG_TABLE = "tracker_contentchange"
# The catalogue's apps; auth (names and roles on pages, what the admin offers whom) and the
# admin (its log: the recent actions on its index).
COVERED_APPS = ("tracker", "evaluations", "forecasts", "replication", "auth", "admin")
# The heartbeat is written every minute and shown on no cached page (the health page is
# never cached); the log is the version itself.
IGNORED_MODELS = ("tracker.WorkerHeartbeat", "tracker.ContentChange")
POSTGRES_TRIGGER = "tracker_content_changed"  # TRUNCATE (statement-level)
POSTGRES_ROW_TRIGGER = "tracker_content_row_changed"  # INSERT, DELETE
POSTGRES_UPDATE_TRIGGER = "tracker_content_row_updated"  # UPDATE that changes the row
POSTGRES_TRIGGERS = (POSTGRES_TRIGGER, POSTGRES_ROW_TRIGGER, POSTGRES_UPDATE_TRIGGER)
SQLITE_EVENTS = ("INSERT", "UPDATE", "DELETE")
SQLITE_PREFIX = "content_row_"  # before issue 27: content_changed_ (an UPDATE of no change counted)
POSTGRES_LIVE_TRIGGER = "tracker_content_row_live"  # UPDATE that changes a live column
SQLITE_LIVE = "live"
LIVE_COLUMNS = {"replication_replicationrun": ("progress", "progress_message", "heartbeat_at")}
LIVE_SUFFIX = "__live"
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


def live_name(table: str) -> str:
    """The name a change to only `table`'s live columns is counted under."""
    return table + LIVE_SUFFIX


def _postgres_triggers(table: str) -> set[str]:
    return {*POSTGRES_TRIGGERS, *([POSTGRES_LIVE_TRIGGER] if table in LIVE_COLUMNS else [])}


def _sqlite_triggers(table: str) -> set[str]:
    events = [*SQLITE_EVENTS, *([SQLITE_LIVE] if table in LIVE_COLUMNS else [])]
    return {_sqlite_trigger(table, event) for event in events}


def current(using: str = "default") -> int:
    """The version: the number of committed write statements that changed a row, per table
    (rows, on SQLite), so far."""
    return _totals(using)[0]


def stamp(using: str = "default") -> str:
    """"<version>.<newest log id>" of every covered table. The id is there for a database
    whose count started again (a flush empties the log, but its ids go on from where they
    were)."""
    total, newest = _totals(using)
    return f"{total}.{newest}"


Snapshot = dict[str, tuple[int, int]]  # table ("" for rows of no table): (total, newest id)


def snapshot(using: str = "default") -> Snapshot:
    """Every table's (version, newest log id), in one small query (the log is compacted to
    a row a table): the page cache reads it first thing and derives the stamp of whatever
    tables a page reads from it (`stamp_of`)."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT table_name, SUM(weight), MAX(id) FROM {LOG_TABLE} "
                       "GROUP BY table_name")
        return {name: (int(total), int(newest)) for name, total, newest in cursor.fetchall()}


def stamp_of(found: Snapshot, tables: Iterable[str]) -> str:
    """The stamp of `tables` in a snapshot: their versions' sum and newest id (rows of no
    table, from before tables were named, count for every table)."""
    rows = [found[name] for name in {*tables, ""} if name in found]
    return f"{sum(total for total, _ in rows)}.{max((newest for _, newest in rows), default=0)}"


def _totals(using: str) -> tuple[int, int]:
    """One small aggregate: the log is compacted to a row a table."""
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
            cursor.execute("SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
                           "WHERE tgname = ANY(%s)",
                           [[*POSTGRES_TRIGGERS, POSTGRES_LIVE_TRIGGER]])
            names = [(table.strip('"'), name) for table, name in cursor.fetchall()]
            wanted = _postgres_triggers
        else:
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
            names = cursor.fetchall()
            wanted = _sqlite_triggers
    by_table: dict[str, set[str]] = {}
    for table, name in names:
        by_table.setdefault(table, set()).add(name)
    return {table for table, found in by_table.items() if found >= wanted(table)}


def compact(using: str = "default") -> int:
    """Folds each table's rows into one row of the same total weight under the newest id it
    removed, so every stamp (of all tables or of some) stays what it was; returns the rows
    removed.
    Rows of transactions still open are not visible to the DELETE, so they stay and add
    their weight when they commit. Postgres only: SQLite's trigger keeps a row a table."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return 0
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [COMPACT_LOCK])
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute(f"SELECT COUNT(*) - COUNT(DISTINCT table_name) FROM {LOG_TABLE}")
        if cursor.fetchone()[0] <= 0:
            return 0  # nothing to fold: a row a table
        cursor.execute(
            f"WITH gone AS (DELETE FROM {LOG_TABLE} RETURNING id, weight, table_name), "
            f"kept AS (INSERT INTO {LOG_TABLE} (id, weight, table_name) "
            "SELECT MAX(id), SUM(weight), table_name FROM gone GROUP BY table_name "
            "RETURNING id) SELECT (SELECT COUNT(*) FROM gone) - (SELECT COUNT(*) FROM kept)"
        )
        return int(cursor.fetchone()[0])


# Counts a table once per statement: the first changed row adds the log row and notes the
# statement's start time in a transaction-local setting (rolled back with the transaction
# or savepoint), which the statement's other rows find there.
POSTGRES_ROW_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {POSTGRES_ROW_TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  counted text := COALESCE(TG_ARGV[0], TG_TABLE_NAME);  -- the live trigger names its own
  flag text := 'tracker_content.' || counted;
  statement text := statement_timestamp()::text;
BEGIN
  IF COALESCE(current_setting(flag, true), '') <> statement THEN
    PERFORM set_config(flag, statement, true);
    INSERT INTO {LOG_TABLE} (weight, table_name) VALUES (1, counted);
  END IF;
  RETURN NULL;
END $$"""
POSTGRES_STATEMENT_FUNCTION = (
    f"CREATE OR REPLACE FUNCTION {POSTGRES_TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN INSERT INTO {LOG_TABLE} (weight, table_name) VALUES (1, TG_TABLE_NAME); "
    "RETURN NULL; END $$")


def _install_postgres(connection, tables: list[str]) -> list[str]:
    done = installed_tables(connection.alias)
    missing = [table for table in tables if table not in done]
    if not missing:
        return []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(POSTGRES_ROW_FUNCTION)
        cursor.execute(POSTGRES_STATEMENT_FUNCTION)
        for table in missing:
            on = quote(table)
            cursor.execute(f"CREATE OR REPLACE TRIGGER {POSTGRES_TRIGGER} AFTER TRUNCATE ON "
                           f"{on} FOR EACH STATEMENT EXECUTE FUNCTION {POSTGRES_TRIGGER}()")
            cursor.execute(f"CREATE OR REPLACE TRIGGER {POSTGRES_ROW_TRIGGER} AFTER INSERT OR "
                           f"DELETE ON {on} FOR EACH ROW EXECUTE FUNCTION "
                           f"{POSTGRES_ROW_TRIGGER}()")
            live = LIVE_COLUMNS.get(table, ())
            # jsonb less the live keys: any column a later migration adds is compared too.
            rest = ("OLD.* IS DISTINCT FROM NEW.*" if not live else
                    f"(to_jsonb(OLD) - {_pg_array(live)}) IS DISTINCT FROM "
                    f"(to_jsonb(NEW) - {_pg_array(live)})")
            cursor.execute(f"CREATE OR REPLACE TRIGGER {POSTGRES_UPDATE_TRIGGER} AFTER UPDATE "
                           f"ON {on} FOR EACH ROW WHEN ({rest}) "
                           f"EXECUTE FUNCTION {POSTGRES_ROW_TRIGGER}()")
            if live:
                old = ", ".join(f"OLD.{quote(column)}" for column in live)
                new = ", ".join(f"NEW.{quote(column)}" for column in live)
                cursor.execute(f"CREATE OR REPLACE TRIGGER {POSTGRES_LIVE_TRIGGER} AFTER "
                               f"UPDATE ON {on} FOR EACH ROW WHEN (ROW({old}) IS DISTINCT "
                               f"FROM ROW({new})) EXECUTE FUNCTION "
                               f"{POSTGRES_ROW_TRIGGER}('{live_name(table)}')")
    return missing


def _pg_array(names: tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join(f"'{name}'" for name in names) + "]::text[]"


def _install_sqlite(connection, tables: list[str]) -> list[str]:
    done = installed_tables(connection.alias)
    missing = [table for table in tables if table not in done]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in missing:
            live = LIVE_COLUMNS.get(table, ())
            events = [*SQLITE_EVENTS, *([SQLITE_LIVE] if live else [])]
            for event in events:
                counted, on = table, event
                when = ""
                if event == "UPDATE":
                    columns = [column for column in _sqlite_columns(connection, cursor, table)
                               if column not in live]
                    when = _sqlite_changed(connection, columns)
                elif event == SQLITE_LIVE:
                    counted, on, when = live_name(table), "UPDATE", \
                        _sqlite_changed(connection, list(live))
                cursor.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {quote(_sqlite_trigger(table, event))} "
                    f"AFTER {on} ON {quote(table)} {when} BEGIN "
                    f"INSERT INTO {LOG_TABLE} (weight, table_name) "
                    f"SELECT COALESCE(SUM(weight), 0) + 1, '{counted}' FROM {LOG_TABLE} "
                    f"WHERE table_name = '{counted}'; "
                    f"DELETE FROM {LOG_TABLE} WHERE table_name = '{counted}' "
                    "AND id < last_insert_rowid(); END"
                )
    return missing


def _sqlite_columns(connection, cursor, table: str) -> list[str]:
    return [column.name for column in
            connection.introspection.get_table_description(cursor, table)]


def _sqlite_changed(connection, columns: list[str]) -> str:
    """WHEN some column's new value differs from its old one (IS NOT: NULL-safe)."""
    quote = connection.ops.quote_name
    return "WHEN " + " OR ".join(f"OLD.{quote(c)} IS NOT NEW.{quote(c)}" for c in columns)


def _sqlite_trigger(table: str, event: str) -> str:
    return f"{SQLITE_PREFIX}{table}_{event.lower()}"


def drop_triggers(using: str = "default") -> None:
    """Removes every content trigger (of before issue 27, which counted statements that
    changed no row, and of now), so that install_triggers puts in the current ones
    (migration tracker/0009)."""
    connection = connections[using]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
                           "WHERE tgname = ANY(%s)",
                           [[*POSTGRES_TRIGGERS, POSTGRES_LIVE_TRIGGER]])
            for table, name in cursor.fetchall():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            return
        # Both patterns as parameters: a literal % beside a placeholder breaks the query's
        # logging under DEBUG (it is %-formatted).
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                       "AND (name LIKE %s OR name LIKE %s)",
                       ["content_changed_%", f"{SQLITE_PREFIX}%"])
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP TRIGGER IF EXISTS {quote(name)}")

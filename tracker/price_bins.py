"""The stored price series (`tracker.PriceBin`, issue 27), kept in step with the quotes and
trades by database triggers, in the write's own transaction, whoever writes: the services,
the importers' `bulk_create`, a queryset's `update` or `delete`, the admin, raw SQL.

What counts (as the chart counted before it was stored):
- a published quote: a `forecasts_prediction` with a market, in a prediction set whose
  forecaster is the crowd (kind `crowd`), valued by `probability`, dated by `made_on`;
- a Manifold trade: a `forecasts_probabilitypoint` of a Manifold market linked to a market,
  dated by the UTC day of `at`.

Each is counted in four bins of its market and series: its day, its week (from Monday, as
`date_trunc('week')` and Django's `Trunc` cut it), its month, and `all` (start
0001-01-01: the whole series in one row, with its first and last day).

- An INSERT, a DELETE or an UPDATE that moves a quote (its market, day, value or set)
  recomputes the bins the rows entered or left from the source rows of those bins (a
  lowest or highest value cannot be taken back otherwise; and a recomputed bin is right
  whatever was stored before: a test database restored with its bins, then its quotes,
  is not counted twice). On Postgres one pass per statement over the markets concerned:
  a bulk import of 10,000 quotes in batches of 5,000 reads the market's quotes twice.
- Changes that decide whether rows count at all (a prediction set given another forecaster,
  a forecaster's kind, a Manifold market linked to another market) rebuild the series of the
  markets concerned.

Postgres: statement-level triggers with transition tables for the quotes and trades (one
pass per statement, however many rows), row-level ones for the rare changes. SQLite: one
row-level trigger per table and event. `install_triggers` is idempotent (run by the
migration that added the table and after every migrate, as the content-version triggers
are); `rebuild` recomputes everything (`manage.py rebuild_price_series`).
"""

from __future__ import annotations

from django.db import connections, transaction

TABLE = "tracker_pricebin"
UNITS = ("day", "week", "month", "all")
ALL_START = "0001-01-01"
COLUMNS = "market_id, series, unit, start, count, total, low, high, first_on, last_on"
PREFIX = "tracker_price_bins_"


# --- SQL pieces, per vendor ------------------------------------------------------------------


def _bucket(vendor: str, day: str, unit: str) -> str:
    """The first day of the bin of `unit` (an SQL expression) holding the date `day`."""
    if vendor == "postgresql":
        return (f"(CASE {unit} WHEN 'day' THEN {day} "
                f"WHEN 'week' THEN date_trunc('week', ({day})::timestamp)::date "
                f"WHEN 'month' THEN date_trunc('month', ({day})::timestamp)::date "
                f"ELSE DATE '{ALL_START}' END)")
    return (f"(CASE {unit} WHEN 'day' THEN date({day}) "
            f"WHEN 'week' THEN date({day}, '-' || ((CAST(strftime('%w', {day}) AS INTEGER) + 6) "
            f"% 7) || ' days') "
            f"WHEN 'month' THEN strftime('%Y-%m-01', {day}) "
            f"ELSE '{ALL_START}' END)")


def _units(vendor: str) -> str:
    if vendor == "postgresql":
        return "(VALUES " + ", ".join(f"('{u}')" for u in UNITS) + ") AS u(unit)"
    return "(" + " UNION ALL ".join(f"SELECT '{u}' AS unit" for u in UNITS) + ") AS u"


def _day_of_trade(vendor: str, at: str) -> str:
    return f"(({at}) AT TIME ZONE 'UTC')::date" if vendor == "postgresql" else f"date({at})"


def _source(vendor: str, series: str, rows: str = "") -> str:
    """(market_id, d, v) of the values that count, from `rows` (a table or transition
    table of the series' source table; the table itself by default)."""
    if series == "quote":
        return (f"SELECT p.market_id AS market_id, p.made_on AS d, p.probability AS v "
                f"FROM {rows or 'forecasts_prediction'} p "
                "JOIN forecasts_predictionset s ON s.id = p.prediction_set_id "
                "JOIN forecasts_forecaster f ON f.id = s.forecaster_id "
                "WHERE f.kind = 'crowd' AND p.market_id IS NOT NULL")
    return (f"SELECT m.market_id AS market_id, {_day_of_trade(vendor, 'p.at')} AS d, "
            f"p.probability AS v FROM {rows or 'forecasts_probabilitypoint'} p "
            "JOIN forecasts_manifoldmarket m ON m.id = p.manifold_market_id "
            "WHERE m.market_id IS NOT NULL")


def _keys(vendor: str, series: str, rows: str) -> str:
    """(market_id, d) of every row of `rows`, counted or not (a row deleted with its
    prediction set can no longer be told apart; recomputing a bin it never was in costs a
    read and changes nothing)."""
    if series == "quote":
        return f"SELECT p.market_id, p.made_on AS d FROM {rows} p WHERE p.market_id IS NOT NULL"
    return (f"SELECT m.market_id, {_day_of_trade(vendor, 'p.at')} AS d FROM {rows} p "
            "JOIN forecasts_manifoldmarket m ON m.id = p.manifold_market_id "
            "WHERE m.market_id IS NOT NULL")


def _grouped(vendor: str, series: str, source: str) -> str:
    """The bins of every unit of the values `source` gives: one row per market, unit, start."""
    start = _bucket(vendor, "src.d", "u.unit")
    return (f"SELECT src.market_id AS market_id, '{series}' AS series, u.unit AS unit, "
            f"{start} AS start, count(*) AS count, sum(src.v) AS total, min(src.v) AS low, "
            "max(src.v) AS high, min(src.d) AS first_on, max(src.d) AS last_on "
            f"FROM ({source}) src CROSS JOIN {_units(vendor)} "
            f"WHERE true GROUP BY src.market_id, u.unit, {start}")


# --- Postgres ----------------------------------------------------------------------------------

_PG_MOVED = {  # the columns whose change moves a row between bins or changes its value
    "quote": ("market_id", "made_on", "probability", "prediction_set_id"),
    "trade": ("manifold_market_id", "at", "probability"),
}
_PG_SOURCE_TABLE = {"quote": "forecasts_prediction", "trade": "forecasts_probabilitypoint"}


def _pg_recompute(series: str, keys: str) -> str:
    """Two statements: drop the bins of `keys` ((market_id, d) rows), then insert them again
    from the source (a bin left with no value is not inserted)."""
    v = "postgresql"
    wanted = (f"SELECT DISTINCT k.market_id, u.unit, {_bucket(v, 'k.d', 'u.unit')} AS start "
              f"FROM ({keys}) k CROSS JOIN {_units(v)}")
    markets = f"SELECT DISTINCT market_id FROM ({keys}) km"
    return (f"DELETE FROM {TABLE} b USING ({wanted}) w WHERE b.series = '{series}' "
            "AND b.market_id = w.market_id AND b.unit = w.unit AND b.start = w.start;\n"
            f"INSERT INTO {TABLE} ({COLUMNS}) SELECT g.* FROM "
            f"({_grouped(v, series, _source(v, series) + f' AND market_id IN ({markets})')}) g "
            f"WHERE (g.market_id, g.unit, g.start) IN ({wanted});")


def _pg_statement_functions(series: str) -> dict[str, str]:
    v = "postgresql"
    moved = _PG_MOVED[series]
    differs = (f"({', '.join('o.' + c for c in moved)}) IS DISTINCT FROM "
               f"({', '.join('n.' + c for c in moved)})")
    moved_old = f"(SELECT o.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {differs})"
    moved_new = f"(SELECT n.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {differs})"
    return {
        "insert": _pg_recompute(series, _keys(v, series, "new_rows")),
        "delete": _pg_recompute(series, _keys(v, series, "old_rows")),
        "update": _pg_recompute(series, f"{_keys(v, series, moved_old)} UNION "
                                        f"{_keys(v, series, moved_new)}"),
    }


def _pg_rebuild_function(series: str) -> str:
    v = "postgresql"
    return (f"CREATE OR REPLACE FUNCTION {PREFIX}rebuild_{series}(markets bigint[]) "
            "RETURNS void LANGUAGE plpgsql AS $f$ BEGIN\n"
            f"DELETE FROM {TABLE} WHERE series = '{series}' AND market_id = ANY(markets);\n"
            f"INSERT INTO {TABLE} ({COLUMNS}) "
            f"{_grouped(v, series, _source(v, series) + ' AND market_id = ANY(markets)')};\n"
            "END $f$;")


# Row-level triggers of the rare changes: (table, trigger's WHEN, series, markets (SQL array)).
_PG_REBUILDS = (
    ("forecasts_predictionset", "OLD.forecaster_id IS DISTINCT FROM NEW.forecaster_id", "quote",
     "ARRAY(SELECT DISTINCT market_id FROM forecasts_prediction "
     "WHERE prediction_set_id = NEW.id AND market_id IS NOT NULL)"),
    ("forecasts_forecaster", "OLD.kind IS DISTINCT FROM NEW.kind", "quote",
     "ARRAY(SELECT DISTINCT p.market_id FROM forecasts_prediction p "
     "JOIN forecasts_predictionset s ON s.id = p.prediction_set_id "
     "WHERE s.forecaster_id = NEW.id AND p.market_id IS NOT NULL)"),
    ("forecasts_manifoldmarket", "OLD.market_id IS DISTINCT FROM NEW.market_id", "trade",
     "array_remove(ARRAY[OLD.market_id, NEW.market_id]::bigint[], NULL)"),
)


def postgres_sql() -> list[str]:
    out = [_pg_rebuild_function("quote"), _pg_rebuild_function("trade")]
    for series, table in _PG_SOURCE_TABLE.items():
        for event, body in _pg_statement_functions(series).items():
            name = f"{PREFIX}{series}_{event}"
            referencing = {"insert": "NEW TABLE AS new_rows", "delete": "OLD TABLE AS old_rows",
                           "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}[event]
            out.append(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
                       f"AS $f$ BEGIN\n{body}\nRETURN NULL; END $f$;")
            out.append(f"DROP TRIGGER IF EXISTS {name} ON {table};")
            out.append(f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} "
                       f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {name}();")
    for table, when, series, markets in _PG_REBUILDS:
        name = f"{PREFIX}{table.removeprefix('forecasts_')}"
        out.append(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
                   f"AS $f$ BEGIN PERFORM {PREFIX}rebuild_{series}({markets}); "
                   "RETURN NULL; END $f$;")
        out.append(f"DROP TRIGGER IF EXISTS {name} ON {table};")
        out.append(f"CREATE TRIGGER {name} AFTER UPDATE ON {table} FOR EACH ROW "
                   f"WHEN ({when}) EXECUTE FUNCTION {name}();")
    return out


# --- SQLite ------------------------------------------------------------------------------------


def _sqlite_recompute(series: str, row: str) -> str:
    """Recompute the four bins of the row `row` (NEW or OLD) from the source."""
    v = "sqlite"
    if series == "quote":
        market, day = f"{row}.market_id", f"{row}.made_on"
    else:
        market = (f"(SELECT market_id FROM forecasts_manifoldmarket "
                  f"WHERE id = {row}.manifold_market_id)")
        day = f"date({row}.at)"
    same_bin = (f"src.market_id = {market} AND "
                f"{_bucket(v, 'src.d', 'u.unit')} = {_bucket(v, day, 'u.unit')}")
    bins = " OR ".join(f"(unit = '{u}' AND start = {_bucket(v, day, repr(u))})" for u in UNITS)
    start = _bucket(v, "src.d", "u.unit")
    return (f"DELETE FROM {TABLE} WHERE series = '{series}' AND market_id = {market} "
            f"AND ({bins});\n"
            f"INSERT INTO {TABLE} ({COLUMNS}) SELECT src.market_id, '{series}', u.unit, "
            f"{start}, count(*), sum(src.v), min(src.v), max(src.v), min(src.d), max(src.d) "
            f"FROM ({_source(v, series)}) src CROSS JOIN {_units(v)} WHERE {same_bin} "
            f"GROUP BY src.market_id, u.unit, {start};")


def _sqlite_rebuild(series: str, markets: str) -> str:
    v = "sqlite"
    return (f"DELETE FROM {TABLE} WHERE series = '{series}' AND market_id IN ({markets});\n"
            f"INSERT INTO {TABLE} ({COLUMNS}) "
            f"{_grouped(v, series, _source(v, series) + f' AND src_m IN ({markets})')};"
            ).replace("src_m", "p.market_id" if series == "quote" else "m.market_id")


_SQLITE_MOVED = {
    "quote": ("market_id", "made_on", "probability", "prediction_set_id"),
    "trade": ("manifold_market_id", "at", "probability"),
}


def sqlite_sql() -> list[str]:
    out = []
    for series, table in _PG_SOURCE_TABLE.items():
        moved = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _SQLITE_MOVED[series])
        bodies = {
            "insert": ("", _sqlite_recompute(series, "NEW")),
            "delete": ("", _sqlite_recompute(series, "OLD")),
            "update": (f" WHEN {moved}",
                       _sqlite_recompute(series, "OLD") + "\n" + _sqlite_recompute(series, "NEW")),
        }
        for event, (when, body) in bodies.items():
            name = f"{PREFIX}{series}_{event}"
            out.append(f"DROP TRIGGER IF EXISTS {name};")
            out.append(f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} FOR EACH ROW"
                       f"{when} BEGIN\n{body}\nEND;")
    rebuilds = (
        ("forecasts_predictionset", "OLD.forecaster_id IS NOT NEW.forecaster_id", "quote",
         "SELECT market_id FROM forecasts_prediction WHERE prediction_set_id = NEW.id"),
        ("forecasts_forecaster", "OLD.kind IS NOT NEW.kind", "quote",
         "SELECT p2.market_id FROM forecasts_prediction p2 JOIN forecasts_predictionset s2 "
         "ON s2.id = p2.prediction_set_id WHERE s2.forecaster_id = NEW.id"),
        ("forecasts_manifoldmarket", "OLD.market_id IS NOT NEW.market_id", "trade",
         "SELECT OLD.market_id UNION SELECT NEW.market_id"),
    )
    for table, when, series, markets in rebuilds:
        name = f"{PREFIX}{table.removeprefix('forecasts_')}"
        out.append(f"DROP TRIGGER IF EXISTS {name};")
        out.append(f"CREATE TRIGGER {name} AFTER UPDATE ON {table} FOR EACH ROW WHEN {when} "
                   f"BEGIN\n{_sqlite_rebuild(series, markets)}\nEND;")
    return out


# --- Install and rebuild -------------------------------------------------------------------------


def trigger_names() -> list[tuple[str, str]]:
    """(name, table) of every trigger installed."""
    names = [(f"{PREFIX}{series}_{event}", table) for series, table in _PG_SOURCE_TABLE.items()
             for event in ("insert", "delete", "update")]
    return names + [(f"{PREFIX}{table.removeprefix('forecasts_')}", table)
                    for table in ("forecasts_predictionset", "forecasts_forecaster",
                                  "forecasts_manifoldmarket")]


def drop_triggers(using: str = "default") -> None:
    """Take them out (the migration's reverse: the table they write goes)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        for name, table in trigger_names():
            on = f" ON {table}" if connection.vendor == "postgresql" else ""
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}{on}")


def install_triggers(using: str = "default") -> None:
    """Put in (or replace) the triggers that keep the stored series in step (nothing before
    the table exists: a migrate that stops short of it)."""
    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    if TABLE not in connection.introspection.table_names():
        return
    statements = postgres_sql() if connection.vendor == "postgresql" else sqlite_sql()
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def rebuild(using: str = "default", market_ids: list[int] | None = None) -> int:
    """Recompute the stored series of these markets (all when None) from the quotes and
    trades; the number of bins stored."""
    connection = connections[using]
    vendor = connection.vendor
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for series in ("quote", "trade"):
            column = "p.market_id" if series == "quote" else "m.market_id"
            source = _source(vendor, series)
            if market_ids is None:
                cursor.execute(f"DELETE FROM {TABLE} WHERE series = %s", [series])
            else:
                ids = ", ".join(str(int(i)) for i in market_ids) or "NULL"
                cursor.execute(f"DELETE FROM {TABLE} WHERE series = %s AND market_id IN ({ids})",
                               [series])
                source += f" AND {column} IN ({ids})"
            cursor.execute(f"INSERT INTO {TABLE} ({COLUMNS}) " + _grouped(vendor, series, source))
        cursor.execute(f"SELECT count(*) FROM {TABLE}")
        return cursor.fetchone()[0]

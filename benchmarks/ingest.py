"""Benchmark of arXiv ingestion: 10,000 recorded entries from a local server, ingested
through the real arxiv.Client, the bulk upsert and triage.

Run from the repository root:  .venv/bin/python benchmarks/ingest.py [--entries 10000]
[--page-size 100]

A local http.server (tests/test_tracker/arxiv_server.py, in a child process as the real
API is elsewhere) serves synthetic-but-realistic Atom pages (4 authors per entry, unicode
names; the SAE market's triage profile is active) with no delay between requests. Rows:

- fetch + parse only: the arxiv.Client walking every page, no database (the reference:
  what HTTP and Atom parsing alone cost on this machine);
- first run: every entry is new (papers, authors, versions, relevances, candidacies);
- re-run: the same pages again (nothing changes);
- new versions: the same ids at v2 with the same authors.

It counts SQL queries and checks the targets: at least 500 entries/s on the first run,
a constant number of queries per page, and a re-run no slower than the first run. The
database is a throw-away test database (SQLite under a temporary folder unless
DATABASE_URL names a server, where Django's test_ database is created and dropped).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
os.environ.setdefault("TRACKER_VAR_DIR", tempfile.mkdtemp(prefix="bench-ingest-"))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from tests.test_tracker.arxiv_server import ArxivStub, fast_config, synthetic_source  # noqa: E402


@contextlib.contextmanager
def server_process(source):
    """The stub arXiv server in a child process, as the real one is on another machine:
    building and sending pages does not compete with ingestion for the GIL."""
    ready = multiprocessing.get_context("fork").Queue()
    stop = multiprocessing.get_context("fork").Event()

    def serve():
        with ArxivStub(source) as stub:
            ready.put(stub.url)
            stop.wait()

    process = multiprocessing.get_context("fork").Process(target=serve, daemon=True)
    process.start()
    try:
        yield ready.get(timeout=30)
    finally:
        stop.set()
        process.join(timeout=10)


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def fetch_only(url: str, entries: int, page_size: int) -> tuple[float, int]:
    from tracker.ingestion.client import ArxivClient, build_search
    from tracker.ingestion.entries import entry_from_result

    client = ArxivClient(fast_config(url, page_size=page_size))
    start, cpu_start = time.perf_counter(), time.process_time()
    seen = 0
    for page in client.pages(build_search("q", entries)):
        seen += len([entry_from_result(r) for r in page.results])
    return time.perf_counter() - start, time.process_time() - cpu_start, seen


def ingest(url: str, entries: int, page_size: int):
    """Time one ingestion; count its queries in all and page by page."""
    from tracker.ingestion import services

    counter = QueryCounter()
    per_page: list[int] = []
    store_page = services._store_page

    def counted_store_page(*args, **kwargs):
        before = counter.count
        store_page(*args, **kwargs)
        per_page.append(counter.count - before)

    services._store_page = counted_store_page
    try:
        start, cpu_start = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(counter):
            run = services.ingest_query(
                query="q", max_results=entries, config=fast_config(url, page_size=page_size)
            )
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    finally:
        services._store_page = store_page
    if run.status != "succeeded":
        raise SystemExit(f"ingestion failed: {run.error}")
    return elapsed, cpu, counter.count, per_page, run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--authors", type=int, default=4)
    args = parser.parse_args()
    logging.getLogger("tracker.ingestion").setLevel(logging.WARNING)

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from tracker.ingestion.triage import SAE_PROFILE
        from tracker.models import Market, TriageProfile

        market = Market.objects.create(slug="sae", title="SAEs beat baselines?")
        TriageProfile.objects.create(
            market=market, method_terms=list(SAE_PROFILE.method_terms),
            baseline_terms=list(SAE_PROFILE.baseline_terms),
            task_terms=list(SAE_PROFILE.task_terms),
        )
        rows = []
        v1 = synthetic_source(args.entries, authors=args.authors)
        v2 = synthetic_source(args.entries, authors=args.authors, version=2)
        with server_process(v1) as url:
            seconds, cpu, seen = fetch_only(url, args.entries, args.page_size)
            rows.append(
                ("fetch + parse only (no database)", seen, seconds, cpu, None, None, None)
            )
            for label in ("first run", "re-run (nothing changes)"):
                seconds, cpu, queries, per_page, run = ingest(url, args.entries, args.page_size)
                rows.append((label, run.fetched, seconds, cpu, queries, per_page, run))
        with server_process(v2) as url:
            seconds, cpu, queries, per_page, run = ingest(url, args.entries, args.page_size)
            rows.append(("new versions (v2 of every entry)", run.fetched, seconds, cpu,
                         queries, per_page, run))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    pages = -(-args.entries // args.page_size)
    print(
        f"{args.entries:,} entries, page size {args.page_size} ({pages} pages), "
        f"{args.authors} authors each; {connection.vendor} {connection.Database.sqlite_version if connection.vendor == 'sqlite' else ''}".rstrip()  # noqa: E501
        + f", Python {platform.python_version()}, {platform.machine()}"
    )
    print()
    print("| run | entries | seconds | entries/s | CPU s (entries per CPU s) | SQL queries "
          "| queries per page (min–max) | queries/entry | created / updated / unchanged |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for label, n, seconds, cpu, queries, per_page, run in rows:
        timing = (
            f"| {label} | {n:,} | {seconds:.2f} | {n / seconds:,.0f} "
            f"| {cpu:.2f} ({n / cpu:,.0f}) "
        )
        if queries is None:
            print(timing + "| – | – | – | – |")
            continue
        print(
            timing + f"| {queries:,} | {min(per_page)}–{max(per_page)} | {queries / n:.3f} | "
            f"{run.created:,} / {run.updated:,} / {run.unchanged:,} |"
        )

    first, rerun = rows[1], rows[2]
    failures = []
    if first[1] / first[2] < 500:
        failures.append(f"first run {first[1] / first[2]:.0f} entries/s < 500")
    if rerun[2] > first[2]:
        failures.append("the re-run is slower than the first run")
    for label, _, _, _, _, per_page, _ in rows[1:]:
        # Constant per page: the last pages (a database 10,000 papers big) need no more
        # queries than the first ones, and no page comes near one query per entry (on
        # SQLite a bulk write is split into batches of 999 parameters, so the constant
        # depends on the page size).
        tenth = max(1, len(per_page) // 10)
        if max(per_page[-tenth:]) > max(per_page[:tenth]) or max(per_page) > args.page_size / 5:
            failures.append(f"{label}: queries per page grow ({per_page})")
    print()
    print("targets:", "met" if not failures else "MISSED: " + "; ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

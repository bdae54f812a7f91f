from django.core.management.base import BaseCommand, CommandError

from tracker.ingestion.conf import MIN_POLITE_DELAY, load_config
from tracker.ingestion.locks import IngestionAlreadyRunning
from tracker.ingestion.services import ingest_query, ingest_search, run_ingestion
from tracker.models import SavedSearch, SearchRun


class Command(BaseCommand):
    help = (
        "Fetch papers from the arXiv API, upsert them by id and triage them into "
        "candidacies, without a broker. With --query, one ad-hoc query; with --search, "
        "one saved search; otherwise every active saved search."
    )

    def add_arguments(self, parser):
        parser.add_argument("--query", help="An ad-hoc arXiv search_query (API syntax).")
        parser.add_argument("--search", help="A saved search, by id or name.")
        parser.add_argument(
            "--max-results", type=int, help="Most entries fetched (per search)."
        )
        parser.add_argument("--api-url", help="The arXiv API URL (default: ARXIV_API_URL).")
        parser.add_argument("--page-size", type=int, help="Entries per request.")
        parser.add_argument(
            "--delay", type=float,
            help=f"Seconds between requests (arXiv asks for at least {MIN_POLITE_DELAY:g}).",
        )

    def handle(self, *args, query, search, max_results, api_url, page_size, delay, **options):
        if query and search:
            raise CommandError("Give --query or --search, not both.")
        if max_results is not None and max_results < 1:
            raise CommandError("--max-results must be at least 1.")
        if page_size is not None and not 1 <= page_size <= 2000:
            raise CommandError("--page-size must be between 1 and 2000 (the API's limit).")
        if delay is not None and delay < 0:
            raise CommandError("--delay cannot be negative.")
        config = load_config().with_overrides(
            api_url=api_url, page_size=page_size, delay_seconds=delay
        )
        if config.delay_seconds < MIN_POLITE_DELAY and "export.arxiv.org" in config.api_url:
            raise CommandError(
                f"arXiv asks for at least {MIN_POLITE_DELAY:g} s between requests."
            )

        if query:
            runs = [ingest_query(query=query, max_results=max_results or 100, config=config)]
        elif search:
            found = _find_search(search)
            try:
                started = ingest_search(search_id=found.pk, max_results=max_results, config=config)
            except IngestionAlreadyRunning as exc:
                raise CommandError(str(exc)) from None
            runs = [started] if started is not None else []  # None: only for "Run now"
        else:
            runs = run_ingestion(max_results=max_results, config=config)
            if not runs:
                self.stdout.write("No active saved search ran (none, or all already running).")

        failed = False
        for run in runs:
            label = run.search.name if run.search else f"query {run.query!r}"
            line = (
                f"{label}: {run.status}; {run.pages} pages, {run.fetched} fetched, "
                f"{run.created} created, {run.updated} updated, {run.unchanged} unchanged, "
                f"{run.candidates} candidacies"
            )
            if run.status == SearchRun.Status.SUCCEEDED:
                self.stdout.write(self.style.SUCCESS(line))
            else:
                failed = True
                self.stderr.write(self.style.ERROR(f"{line}\n  {run.error}"))
        if failed:
            raise CommandError("arXiv ingestion failed; the error is in the run log.")


def _find_search(value: str) -> SavedSearch:
    lookup = {"pk": int(value)} if value.isdigit() else {"name": value}
    matches = list(SavedSearch.objects.filter(**lookup)[:2])
    if len(matches) != 1:
        if matches:
            raise CommandError(f"Several saved searches are named {value!r}: give the id.")
        raise CommandError(f"No saved search matches {value!r}.")
    return matches[0]

"""The `arxiv` package's Client, pointed at the configured API URL, fetching page by page.

`ArxivClient` keeps the package's URL building, pacing and Atom parsing, and changes how
one page is fetched: every request has a timeout, 5xx answers and network errors are
retried with exponential backoff (a connection closed before its Content-Length too), a
page that is not well-formed XML (a truncated download) raises `MalformedPageError`
instead of being half-parsed, and an entry the package would drop (no <id>, no dates) is
counted and named. Two deadlines bound the time: one per request, however slowly its
bytes trickle in (a timer shuts the socket down), and one for the whole run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import arxiv
import requests
from arxiv import _feed
from lxml import etree

from tracker.http_deadline import cut_off_after
from tracker.ingestion.conf import IngestionConfig

logger = logging.getLogger(__name__)


class IngestionError(Exception):
    """A run that cannot go on; the message says why and where."""


class FetchError(IngestionError):
    """arXiv did not answer usefully after every retry (5xx, timeout, connection error)."""


class MalformedPageError(IngestionError):
    """A page that is not a complete Atom document; nothing from it is written."""


class RunDeadlineExceeded(FetchError):
    """The run as a whole took longer than ARXIV_RUN_DEADLINE_SECONDS."""


class RequestDeadlineExceeded(requests.Timeout):
    """One request took longer than ARXIV_REQUEST_DEADLINE_SECONDS; retried as a timeout."""


#: What a retry may cure: 5xx, an empty page in the middle, the network.
RETRIED = (
    arxiv.HTTPError,
    arxiv.UnexpectedEmptyPageError,
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,  # closed before its Content-Length
    requests.exceptions.ContentDecodingError,
)


@dataclass(frozen=True)
class Page:
    start: int
    total_results: int
    results: list[arxiv.Result]
    url: str
    skipped: tuple[str, ...] = ()  # entries the feed sent but no Result could be made of


_STRICT = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)


def parse_page(content: bytes, url: str) -> tuple[_feed.ParsedFeed, list[str]]:
    """The package's Atom parsing, on a document parsed strictly once, and why each entry
    it could not use was skipped.

    `arxiv._feed.parse` parses with recover=True, so a truncated page would come back
    as its first few entries; here a page that is not whole XML is refused outright.
    """
    try:
        root = etree.fromstring(content, parser=_STRICT)
    except etree.XMLSyntaxError as exc:
        raise MalformedPageError(f"Malformed Atom page from {url}: {exc}") from None
    if root is None or etree.QName(root).localname != "feed":
        raise MalformedPageError(f"Malformed Atom page from {url}: the root is not <feed>.")

    def number(path: str) -> int:
        text = _feed._text(root, path)
        try:
            return int(text.strip()) if text else 0
        except ValueError:
            return 0

    header = _feed.FeedHeader(
        total_results=number("opensearch:totalResults"),
        items_per_page=number("opensearch:itemsPerPage"),
        start_index=number("opensearch:startIndex"),
    )
    results = []
    skipped = []
    for position, entry in enumerate(root.iterfind("atom:entry", _feed._NS), start=1):
        result = _feed._build_result(entry)
        if result is not None:
            results.append(result)
            continue
        entry_id = _feed._text(entry, "atom:id")
        title = (_feed._text(entry, "atom:title") or "").strip()[:80]
        skipped.append(
            f"entry {position} of the page at {url} ({title!r}): "
            + ("it has no <id>" if not entry_id else f"{entry_id!r} has no valid dates")
            + "; skipped."
        )
    return _feed.ParsedFeed(header=header, results=results), skipped


class ArxivClient(arxiv.Client):
    def __init__(self, config: IngestionConfig) -> None:
        super().__init__(
            page_size=config.page_size,
            delay_seconds=config.delay_seconds,
            num_retries=config.num_retries,
        )
        self.config = config
        # The package formats every page URL from this pattern.
        self.query_url_format = config.api_url.rstrip("?") + "?{}"
        self._session.headers["User-Agent"] = f"sae-resolution-tracker arxiv.py/{arxiv.__version__}"
        self.requests_made = 0
        self._run_deadline = time.monotonic() + config.run_deadline_seconds

    def _run_remaining(self, url: str) -> float:
        remaining = self._run_deadline - time.monotonic()
        if remaining <= 0:
            raise RunDeadlineExceeded(
                f"The run passed its deadline of {self.config.run_deadline_seconds:.0f} s "
                f"(ARXIV_RUN_DEADLINE_SECONDS) before {url} was fetched."
            )
        return remaining

    def _wait_politely(self) -> None:
        if self._last_request_dt is None or self.delay_seconds <= 0:
            return
        elapsed = (datetime.now() - self._last_request_dt).total_seconds()
        if elapsed < self.delay_seconds:
            time.sleep(self.delay_seconds - elapsed)

    def _get_once(self, url: str) -> bytes:
        self._wait_politely()
        budget = min(self.config.request_deadline_seconds, self._run_remaining(url))
        self.requests_made += 1
        expired = None
        try:
            response = self._session.get(
                url, timeout=min(self.config.timeout_seconds, budget), stream=True
            )
            with cut_off_after(response, budget) as expired, response:
                if response.status_code >= 500:
                    raise arxiv.HTTPError(url, 0, response.status_code)
                if response.status_code != 200:
                    # 4xx: a bad query or URL; retrying cannot help.
                    raise FetchError(f"arXiv answered HTTP {response.status_code} for {url}")
                return response.content
        except requests.RequestException as exc:
            if expired is not None and expired.is_set():
                raise RequestDeadlineExceeded(
                    f"the answer took longer than {budget:.0f} s "
                    "(ARXIV_REQUEST_DEADLINE_SECONDS)"
                ) from exc
            raise
        finally:
            self._last_request_dt = datetime.now()

    def _parse_feed(self, url: str, first_page: bool = True, _try_index: int = 0):
        """One page, parsed by the package's Atom parser once it is known to be whole;
        returns the feed and the entries skipped."""
        attempts = self.num_retries + 1
        for attempt in range(attempts):
            try:
                feed, skipped = parse_page(self._get_once(url), url)
                if not feed.results and not skipped and not first_page:
                    raise arxiv.UnexpectedEmptyPageError(url, attempt, feed)
                return feed, skipped
            except RETRIED as exc:
                reason = _describe(exc)
                if attempt + 1 >= attempts:
                    raise FetchError(
                        f"{reason} from {url} (gave up after {attempts} attempts)"
                    ) from exc
                pause = self.config.backoff_seconds * (2**attempt)
                if pause >= self._run_remaining(url):
                    raise RunDeadlineExceeded(
                        f"{reason} from {url}, and the next retry would pass the run's "
                        f"deadline of {self.config.run_deadline_seconds:.0f} s "
                        "(ARXIV_RUN_DEADLINE_SECONDS)."
                    ) from exc
                logger.warning(
                    "arXiv request failed (%s), attempt %d of %d; retrying in %.1fs",
                    reason, attempt + 1, attempts, pause,
                )
                if pause > 0:
                    time.sleep(pause)
        raise AssertionError("unreachable")

    def pages(self, search: arxiv.Search) -> Iterator[Page]:
        """The search's results one page at a time, as `Client.results` walks them."""
        offset = 0
        limit = search.max_results
        first = True
        while True:
            size = self.page_size if limit is None else min(self.page_size, limit - offset)
            if size <= 0:
                return
            url = self._format_url(search, offset, size)
            feed, skipped = self._parse_feed(url, first_page=first)
            first = False
            if not feed.results and not skipped:
                return
            results = feed.results[:size]
            yield Page(
                start=offset, total_results=feed.header.total_results, results=results, url=url,
                skipped=tuple(skipped),
            )
            offset += len(results) + len(skipped)
            if offset >= feed.header.total_results:
                return


def _describe(exc: Exception) -> str:
    if isinstance(exc, RequestDeadlineExceeded):
        return str(exc)
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "connection closed before the whole answer arrived"
    if isinstance(exc, arxiv.HTTPError):
        return f"HTTP {exc.status}"
    if isinstance(exc, requests.Timeout):
        return "timeout"
    if isinstance(exc, requests.ConnectionError):
        return "connection error"
    if isinstance(exc, arxiv.UnexpectedEmptyPageError):
        return "unexpectedly empty page"
    return type(exc).__name__


def build_search(query: str, max_results: int | None) -> arxiv.Search:
    return arxiv.Search(
        query=query,
        max_results=max_results,
        sort_by=arxiv.SortCriterion.LastUpdatedDate,
        sort_order=arxiv.SortOrder.Descending,
    )

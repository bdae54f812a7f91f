"""The catalogue: markets, their criteria, papers, candidacies and claims."""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from tracker.arxiv_ids import InvalidArxivId, parse_arxiv_id


def normalize_person_name(name: str) -> str:
    """Casefolded, accent-free, single-spaced: 'Émma  Pierson' -> 'emma pierson'."""
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    cleaned = "".join(ch if ch.isalnum() else " " for ch in ascii_only.casefold())
    return " ".join(cleaned.split())


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Market(TimeStamped):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        RESOLVED = "resolved", "Resolved"
        ANNULLED = "annulled", "Annulled"

    class Outcome(models.TextChoices):
        NONE = "", "Not resolved"
        YES = "yes", "YES"
        NO = "no", "NO"

    #: Resolved or annulled: its assessments are frozen and published, its predictions scored.
    SETTLED_STATUSES = (Status.RESOLVED, Status.ANNULLED)

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=300)
    platform = models.CharField(max_length=100, blank=True)
    url = models.URLField(max_length=500, blank=True)
    creator = models.CharField(max_length=200, blank=True, help_text="Who resolves it.")
    creator_handle = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True, help_text="In the project's own words.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(max_length=3, choices=Outcome.choices, default="", blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    annulled_at = models.DateTimeField(null=True, blank=True)
    source_urls = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="resolved", outcome__in=["yes", "no"])
                | (~Q(status="resolved") & Q(outcome="")),
                name="market_outcome_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("tracker:market", args=[self.slug])

    @property
    def is_settled(self) -> bool:
        """Resolved or annulled (only unresolving reopens it)."""
        return self.status in self.SETTLED_STATUSES


class Criterion(TimeStamped):
    class Kind(models.TextChoices):
        MUST_PASS = "must_pass", "Must pass"
        JUDGEMENT = "judgement", "Judgement"
        INFORMATIONAL = "informational", "Informational"

    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="criteria")
    key = models.SlugField(max_length=80)
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    description = models.TextField(help_text="In the project's own words.")
    class NotApplicable(models.TextChoices):
        NEVER = "never", "Not offered: every candidate is judged on it"
        OFFERED = "offered", "Offered: an adjudicator may answer 'not applicable'"
        DEFAULT = "default", "The default: needs no answer; unanswered, it is 'not applicable'"

    kind = models.CharField(max_length=15, choices=Kind.choices, default=Kind.JUDGEMENT)
    not_applicable = models.CharField(
        "not applicable", max_length=10, choices=NotApplicable.choices,
        default=NotApplicable.NEVER,
        help_text="Whether an adjudicator may answer 'not applicable' (a criterion that does "
        "not apply to some papers), or need not answer at all (a rule about the market, not "
        "a property of a paper). A 'not applicable' answer needs no confidence or rationale.",
    )
    group = models.CharField(max_length=40, blank=True)
    parameters = models.JSONField(
        default=dict,
        blank=True,
        help_text="E.g. {'sae_training_compute_fraction_charged': 0.1} or a baseline list.",
    )

    class Meta:
        ordering = ["market", "order", "key"]
        verbose_name_plural = "criteria"
        constraints = [
            models.UniqueConstraint(fields=["market", "key"], name="criterion_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.get_kind_display()})"

    @property
    def offers_not_applicable(self) -> bool:
        return self.not_applicable != self.NotApplicable.NEVER

    @property
    def needs_answer(self) -> bool:
        """False for a criterion whose unanswered default is 'not applicable'."""
        return self.not_applicable != self.NotApplicable.DEFAULT


class Author(models.Model):
    name = models.CharField(max_length=200)
    normalized_name = models.CharField(max_length=200, unique=True, editable=False)

    class Meta:
        ordering = ["normalized_name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.normalized_name = normalize_person_name(self.name)
        super().save(*args, **kwargs)


class Paper(TimeStamped):
    """A paper or other public work. arXiv papers are keyed by id without version;
    works without an arXiv id are kept by URL."""

    class Kind(models.TextChoices):
        PAPER = "paper", "Paper"
        BLOG = "blog", "Blog post"
        POST = "post", "Forum post"
        DEMO = "demo", "Demo"
        TOOL = "tool", "Tool"

    slug = models.SlugField(max_length=120, unique=True)
    arxiv_id = models.CharField(
        max_length=40, null=True, blank=True,
        help_text=(
            "Any form is accepted (arXiv:..., abs URL, with version); it is stored "
            "without its version, e.g. 2502.04382 or hep-th/9901001."
        ),
    )
    arxiv_version = models.PositiveSmallIntegerField(null=True, blank=True)
    title = models.CharField(max_length=500)
    short_name = models.CharField(max_length=100, blank=True)
    abstract = models.TextField(blank=True)
    authors = models.ManyToManyField(Author, through="Authorship", related_name="papers")
    published = models.DateField(null=True, blank=True)
    updated = models.DateField(null=True, blank=True)
    date_text = models.CharField(
        max_length=10, blank=True, help_text="The date as known: YYYY, YYYY-MM or YYYY-MM-DD."
    )
    url = models.URLField(max_length=500, blank=True)
    venue = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PAPER)
    uses_sae = models.BooleanField(null=True, blank=True, help_text="Unknown when empty.")
    notes = models.TextField(blank=True)
    source_urls = models.JSONField(default=list, blank=True)
    # Filled by arXiv ingestion.
    primary_category = models.CharField(max_length=40, blank=True)
    categories = models.JSONField(default=list, blank=True)
    arxiv_comment = models.TextField(blank=True)
    journal_ref = models.CharField(max_length=500, blank=True)
    doi = models.CharField(max_length=200, blank=True)
    withdrawn = models.BooleanField(
        default=False, help_text="The latest arXiv version withdraws the paper."
    )

    class Meta:
        ordering = ["-published", "title"]
        # The papers list's order: a page is an index range, not a sort of every paper.
        indexes = [models.Index(fields=["-published", "title", "id"], name="paper_list_order")]
        constraints = [
            models.UniqueConstraint(
                fields=["arxiv_id"], condition=Q(arxiv_id__isnull=False),
                name="paper_unique_arxiv_id",
            ),
            models.UniqueConstraint(
                fields=["url"], condition=Q(arxiv_id__isnull=True) & ~Q(url=""),
                name="paper_unique_url_without_arxiv_id",
            ),
            models.CheckConstraint(condition=~Q(arxiv_id=""), name="paper_arxiv_id_not_blank"),
        ]

    def __str__(self) -> str:
        return self.short_name or self.title

    def get_absolute_url(self) -> str:
        return reverse("tracker:paper", args=[self.public_id])

    def clean(self) -> None:
        # Accept any written form (arXiv:..., abs URL, with version) and keep the canonical id.
        if self.arxiv_id:
            try:
                parsed = parse_arxiv_id(self.arxiv_id)
            except InvalidArxivId as exc:
                raise ValidationError({"arxiv_id": str(exc)}) from None
            self.arxiv_id = parsed.id
            if parsed.version is not None:
                self.arxiv_version = parsed.version
        else:
            self.arxiv_id = None

    @property
    def public_id(self) -> str:
        return self.arxiv_id or self.slug

    @property
    def arxiv_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}" if self.arxiv_id else ""

    def ordered_author_names(self) -> list[str]:
        return [a.author.name for a in self.authorships.all()]


class Authorship(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="authorships")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="authorships")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["paper", "position"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "position"], name="authorship_position"),
            models.UniqueConstraint(fields=["paper", "author"], name="authorship_once"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.author}"


class Candidacy(TimeStamped):
    """A paper put forward as (possibly) resolving a market."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        TRIAGED = "triaged", "Triaged"
        IN_REVIEW = "in_review", "In review"
        DECIDED = "decided", "Decided"
        DISMISSED = "dismissed", "Dismissed"

    class Source(models.TextChoices):
        MANUAL = "manual", "Added by hand"
        ARXIV = "arxiv", "arXiv triage"

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="candidacies")
    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="candidacies")
    task = models.TextField(blank=True, help_text="The downstream task the paper attempts.")
    claimed_result = models.TextField(blank=True)
    baselines_compared = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    notes = models.TextField(blank=True)
    # A candidacy transcribed from the market's history (the seed) became a candidate when
    # its sources say, not when the tracker loaded it.
    from_sources = models.BooleanField(
        default=False, help_text="Transcribed from the market's history: dated by its "
        "sources (sources_date), not by when the tracker recorded it.")
    sources_date = models.CharField(
        max_length=10, blank=True, help_text="When it was put forward, as the sources date "
        "it: YYYY, YYYY-MM or YYYY-MM-DD; empty when they give no date.")
    # Triage of candidacies proposed by arXiv ingestion.
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    found_by = models.ForeignKey(
        "SavedSearch", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="candidacies", help_text="The saved search whose run proposed it.",
    )
    relevance_score = models.FloatField(
        null=True, blank=True, help_text="Triage score (0 to 1) when proposed by ingestion."
    )
    relevance_signals = models.JSONField(
        default=dict, blank=True, help_text="Which triage signals matched, and how."
    )
    dismissed_reason = models.TextField(blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    triaged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["market", "paper__title"]
        verbose_name_plural = "candidacies"
        constraints = [
            models.UniqueConstraint(fields=["paper", "market"], name="candidacy_once_per_market"),
            models.CheckConstraint(
                condition=~Q(status="dismissed") | ~Q(dismissed_reason=""),
                name="candidacy_dismissed_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.paper} for {self.market.slug}"


class Claim(TimeStamped):
    """One reported number (or qualitative result) for one method in a candidacy."""

    candidacy = models.ForeignKey(Candidacy, on_delete=models.CASCADE, related_name="claims")
    method = models.CharField(max_length=200)
    is_sae_method = models.BooleanField(help_text="The SAE method, or a baseline.")
    metric = models.CharField(max_length=200, blank=True)
    value = models.FloatField(null=True, blank=True)
    sample_size = models.PositiveIntegerField(null=True, blank=True)
    location = models.CharField(max_length=200, blank=True, help_text="Where in the paper.")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["candidacy", "-is_sae_method", "method"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidacy", "method", "metric"], name="claim_once_per_method_metric"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method}: {self.metric} = {self.value}"


class WorkerHeartbeat(models.Model):
    """Written by a Celery task: shows that a worker consumed from the broker."""

    hostname = models.CharField(
        max_length=200, unique=True,
        help_text="The worker's Celery node name (e.g. gpu@host): one row per worker, even "
        "with several workers on one machine.")
    seen_at = models.DateTimeField()
    beats = models.PositiveIntegerField(default=0)
    queues = models.JSONField(
        default=dict, blank=True,
        help_text="Each queue it has answered a heartbeat on, with when it last did (ISO).")

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return f"{self.hostname} at {self.seen_at:%Y-%m-%d %H:%M:%S}"

    def seen_on(self, queue: str) -> dt.datetime | None:
        """When it last answered on ``queue``, if ever."""
        when = (self.queues or {}).get(queue)
        return dt.datetime.fromisoformat(when) if when else None


# --- arXiv ingestion and triage ---------------------------------------------------------


class PaperVersion(models.Model):
    """One arXiv version of a paper as ingested: the history kept when a new version lands."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=500)
    abstract = models.TextField(blank=True)
    published_at = models.DateTimeField(help_text="When version 1 was submitted.")
    updated_at = models.DateTimeField(help_text="When this version was submitted.")
    comment = models.TextField(blank=True)
    withdrawn = models.BooleanField(default=False)
    seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["paper", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "version"], name="paper_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.paper.arxiv_id}v{self.version}"


class SavedSearch(TimeStamped):
    """An arXiv query that the scheduled ingestion runs for a market."""

    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="What the search is meant to catch.")
    query = models.TextField(
        help_text="arXiv API search_query syntax, e.g. "
        "abs:\"sparse autoencoder\" AND abs:baseline. Combined with the categories below."
    )
    categories = models.JSONField(
        default=list, blank=True,
        help_text="arXiv categories such as cs.LG; the search is limited to any of them.",
    )
    max_results = models.PositiveIntegerField(
        default=200, help_text="Most entries fetched per run (newest updated first)."
    )
    active = models.BooleanField(default=True, help_text="Only active searches run on schedule.")
    last_run_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    running_since = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="Set while an ingestion runs: the lock that keeps two runs apart.",
    )
    run_requested_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="Set by \"Run now\" until a worker starts the run: the reconciler resends "
        "a request whose message was lost.",
    )

    class Meta:
        ordering = ["market", "name"]
        verbose_name_plural = "saved searches"
        constraints = [
            models.UniqueConstraint(fields=["market", "name"], name="saved_search_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def full_query(self) -> str:
        """The query sent to arXiv: the query, limited to the categories when any are set."""
        query = self.query.strip()
        if not self.categories:
            return query
        cats = " OR ".join(f"cat:{c}" for c in self.categories)
        return f"({query}) AND ({cats})"


class SearchRun(models.Model):
    """The run log: one row per ingestion, with its counts and any error."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    search = models.ForeignKey(
        SavedSearch, on_delete=models.CASCADE, related_name="runs", null=True, blank=True,
        help_text="Empty for an ad-hoc `ingest_arxiv --query` run.",
    )
    query = models.TextField(help_text="The query as sent to arXiv.")
    api_url = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    fetched = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    candidates = models.PositiveIntegerField(default=0, help_text="Candidacies created.")
    errors = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["search", "-started_at"], name="search_run_recent")]

    def __str__(self) -> str:
        return f"{self.search or 'ad hoc'} at {self.started_at:%Y-%m-%d %H:%M}"


class TriageProfile(TimeStamped):
    """How arXiv papers are scored for one market: keyword signals and a threshold."""

    market = models.OneToOneField(Market, on_delete=models.CASCADE, related_name="triage_profile")
    active = models.BooleanField(default=True)
    threshold = models.FloatField(
        default=0.5, help_text="Papers scoring at least this (0 to 1) become candidacies."
    )
    method_terms = models.JSONField(
        default=list, blank=True, help_text="Phrases naming the method under test."
    )
    baseline_terms = models.JSONField(
        default=list, blank=True, help_text="Phrases naming baselines the method must beat."
    )
    task_terms = models.JSONField(
        default=list, blank=True, help_text="Phrases naming downstream tasks."
    )
    use_embeddings = models.BooleanField(
        default=False,
        help_text="Add MiniLM similarity to the market description (needs the harness extra).",
    )

    def __str__(self) -> str:
        return f"Triage for {self.market.slug}"


class PaperRelevance(models.Model):
    """A paper's relevance to a market, as scored by triage, with the signals that matched."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="relevances")
    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="relevances")
    score = models.FloatField()
    signals = models.JSONField(default=dict)
    explanation = models.TextField(blank=True)
    version = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The arXiv version scored."
    )
    scored_at = models.DateTimeField()

    class Meta:
        ordering = ["market", "-score"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "market"], name="relevance_once_per_market"),
        ]

    def __str__(self) -> str:
        return f"{self.paper} for {self.market.slug}: {self.score:.2f}"


class TriageQueueItem(Candidacy):
    """The admin's triage queue: candidacies waiting to be accepted or dismissed."""

    class Meta:
        proxy = True
        verbose_name = "triage queue item"
        verbose_name_plural = "triage queue"


class ContentChange(models.Model):
    """Written by database triggers on every write to the tables readers see
    (tracker/content_version.py): the sum of `weight` over a table's rows is that table's
    version, over all rows the published content's. Compaction folds each table's rows into
    one of the same total weight."""

    id = models.BigAutoField(primary_key=True)
    weight = models.PositiveBigIntegerField(default=1)
    # The written table ("" for rows written before issue 27: they count for every table).
    table_name = models.CharField(max_length=63, blank=True, default="", db_default="")

    def __str__(self) -> str:
        return f"content change {self.pk}"


class PriceBin(models.Model):
    """A market's price history stored as bins (issue 27): what the probability chart draws.

    Per market, series (published quotes of the crowd, or Manifold trades) and unit (a day,
    a week from Monday, a month, or `all`: the whole series, one row), the count, sum,
    lowest and highest value and first and last day of the values in the bin. Database
    triggers keep it in step with the quotes and trades in the write's own transaction,
    whoever writes (tracker/price_bins.py); `manage.py rebuild_price_series` rebuilds it.
    """

    class Series(models.TextChoices):
        QUOTE = "quote", "published quotes"
        TRADE = "trade", "Manifold trades"

    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="price_bins")
    series = models.CharField(max_length=5, choices=Series.choices)
    unit = models.CharField(max_length=5)  # day, week, month, all
    start = models.DateField()  # the bin's first day (0001-01-01 for `all`)
    count = models.PositiveIntegerField()
    total = models.FloatField()  # the sum of the values: the mean is total / count
    low = models.FloatField()
    high = models.FloatField()
    first_on = models.DateField()
    last_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["market", "series", "unit", "start"],
                                    name="price_bin_once"),
        ]

    def __str__(self) -> str:
        return f"{self.market_id} {self.series} {self.unit} {self.start}: {self.count}"

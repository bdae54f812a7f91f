"""Forecasters, their published prediction sets and predictions, outcomes and scores."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse

from tracker.models import Candidacy, Market, Paper, TimeStamped


class Forecaster(TimeStamped):
    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        CROWD = "crowd", "Market crowd"
        MODEL = "model", "Model"

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERSON)
    url = models.URLField(max_length=500, blank=True, help_text="Home page or profile.")
    handle = models.CharField(max_length=100, blank=True, help_text="E.g. a forum user name.")
    description = models.TextField(blank=True, help_text="Who they are, in our own words.")
    source_urls = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("forecasts:forecaster", args=[self.slug])


class PredictionSet(TimeStamped):
    """Predictions published together (a post, a list, a market snapshot)."""

    slug = models.SlugField(max_length=120, unique=True)
    forecaster = models.ForeignKey(
        Forecaster, on_delete=models.PROTECT, related_name="prediction_sets"
    )
    title = models.CharField(max_length=300)
    published_on = models.DateField()
    source_url = models.URLField(max_length=500, blank=True, help_text="Where it was published.")
    about = models.TextField(
        blank=True, help_text="What the predictions are about, in our own words."
    )
    about_paper = models.ForeignKey(
        Paper, null=True, blank=True, on_delete=models.SET_NULL, related_name="prediction_sets",
        help_text="The paper the set was resolved against, if any.",
    )
    about_market = models.ForeignKey(
        Market, null=True, blank=True, on_delete=models.SET_NULL, related_name="prediction_sets",
    )
    scoring_rule_note = models.TextField(
        blank=True, help_text="How the forecaster scored it themselves, if they did."
    )
    reported_points = models.FloatField(
        null=True, blank=True,
        help_text="The total the forecaster reported under his points rule, to check ours.",
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-published_on", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("forecasts:prediction-set", args=[self.slug])


class Prediction(TimeStamped):
    class Outcome(models.TextChoices):
        PENDING = "pending", "Pending"
        YES = "yes", "Yes"
        NO = "no", "No"
        ANNULLED = "annulled", "Annulled"
        AMBIGUOUS = "ambiguous", "Ambiguous"

    #: Outcomes that are scored; annulled and ambiguous predictions are left out.
    SCORED_OUTCOMES = (Outcome.YES, Outcome.NO)
    prediction_set = models.ForeignKey(
        PredictionSet, on_delete=models.CASCADE, related_name="predictions"
    )
    position = models.PositiveSmallIntegerField(help_text="Order within the set, from 1.")
    statement = models.TextField(help_text="What was predicted, in the project's own words.")
    probability = models.FloatField(help_text="Probability that it happens, in [0, 1].")
    made_on = models.DateField()
    resolves_by = models.DateField(null=True, blank=True)
    market = models.ForeignKey(
        Market, null=True, blank=True, on_delete=models.SET_NULL, related_name="predictions",
        help_text="When set, a resolved market decides the outcome on re-scoring.",
    )
    candidacy = models.ForeignKey(
        Candidacy, null=True, blank=True, on_delete=models.SET_NULL, related_name="predictions",
    )
    outcome = models.CharField(
        max_length=10, choices=Outcome.choices, default=Outcome.PENDING, db_index=True
    )
    outcome_evidence = models.TextField(blank=True, help_text="Why we say so, with the source.")
    outcome_date = models.DateField(null=True, blank=True)
    outcome_inferred = models.BooleanField(
        default=False,
        help_text="Not stated by a source, but deduced (e.g. from a reported total).",
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["prediction_set", "position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(probability__gte=0.0) & Q(probability__lte=1.0),
                name="prediction_probability_in_unit_interval",
            ),
            models.UniqueConstraint(
                fields=["prediction_set", "position"], name="prediction_position_once_per_set"
            ),
            models.UniqueConstraint(
                fields=["prediction_set", "statement"], name="prediction_statement_once_per_set"
            ),
            models.CheckConstraint(
                condition=~Q(outcome="pending") | Q(outcome_inferred=False),
                name="prediction_pending_not_inferred",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement[:60]} ({self.probability:.0%})"

    @property
    def forecaster(self) -> Forecaster:
        return self.prediction_set.forecaster


class Score(models.Model):
    """One resolved prediction's scores; rebuilt (deleted and recreated) on every re-score."""

    prediction = models.OneToOneField(Prediction, on_delete=models.CASCADE, related_name="score")
    happened = models.BooleanField()
    brier = models.FloatField(help_text="(p - y)^2 on the 0-1 scale; lower is better.")
    log_score = models.FloatField(help_text="ln of the probability given to what happened.")
    points = models.FloatField(help_text="Casper points: 1 - p if it happened, -p if not.")
    scored_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["prediction"]
        constraints = [
            models.CheckConstraint(
                condition=Q(brier__gte=0.0) & Q(brier__lte=1.0), name="score_brier_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Brier {self.brier:.4f} for {self.prediction_id}"


class ManifoldMarket(TimeStamped):
    """A Manifold market whose probability history was imported from Manifold's API."""

    manifold_id = models.CharField(max_length=64, unique=True)
    slug = models.CharField(max_length=300, blank=True)
    question = models.CharField(max_length=500)
    url = models.URLField(max_length=500, blank=True)
    market = models.ForeignKey(
        Market, null=True, blank=True, on_delete=models.SET_NULL, related_name="manifold_markets",
    )
    resolution = models.CharField(max_length=20, blank=True, help_text="As Manifold reports it.")
    fetched_at = models.DateTimeField()

    class Meta:
        ordering = ["question"]

    def __str__(self) -> str:
        return self.question


class ProbabilityPoint(models.Model):
    """The market probability right after one bet (Manifold's probAfter)."""

    manifold_market = models.ForeignKey(
        ManifoldMarket, on_delete=models.CASCADE, related_name="points"
    )
    bet_id = models.CharField(max_length=64)
    at = models.DateTimeField()
    probability = models.FloatField()

    class Meta:
        ordering = ["manifold_market", "at", "bet_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["manifold_market", "bet_id"], name="probability_point_once_per_bet"
            ),
            models.CheckConstraint(
                condition=Q(probability__gte=0.0) & Q(probability__lte=1.0),
                name="probability_point_in_unit_interval",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.probability:.3f} at {self.at:%Y-%m-%d %H:%M}"


class ForecasterStats(models.Model):
    """A forecaster's leaderboard figures, stored by the scoring service whenever their
    scores change (``do_rescore``) and rebuilt by ``manage.py rebuild_aggregates``: pages
    read one row instead of aggregating every score per request."""

    forecaster = models.OneToOneField(
        Forecaster, on_delete=models.CASCADE, primary_key=True, related_name="stats"
    )
    n_resolved = models.PositiveIntegerField(default=0)
    brier = models.FloatField(null=True)
    log_score = models.FloatField(null=True)
    points = models.FloatField(null=True)
    shrunk_brier = models.FloatField(null=True)
    skill_vs_uniform = models.FloatField(null=True)
    skill_vs_crowd = models.FloatField(null=True)
    n_vs_crowd = models.PositiveIntegerField(default=0)
    calibration = models.JSONField(
        default=list, help_text="Per 10% bin: [forecasts, happened, sum of probabilities]."
    )
    murphy = models.JSONField(null=True, help_text="Murphy's decomposition (exact groups).")
    over_time = models.JSONField(
        null=True,
        help_text="Per date predictions were made, oldest first: [ISO date, resolved "
                  "predictions, sum of their Brier scores] (the scores-over-time chart); "
                  "null until the next re-score or rebuild_aggregates.",
    )
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "forecaster stats"

    def __str__(self) -> str:
        return f"Stats of {self.forecaster_id}"

"""A small cast for page tests: forecasters with hand-picked records."""

from __future__ import annotations

import datetime as dt

from evaluations.forecasts.models import Forecaster, Prediction, PredictionSet
from evaluations.forecasts.services import do_rescore_all

DAY = dt.date(2025, 1, 1)


def forecaster_with(slug: str, forecasts: list[tuple[float, str]], *, kind="person",
                    market=None) -> Forecaster:
    """A forecaster with one set holding (probability, outcome) predictions, scored."""
    forecaster = Forecaster.objects.create(slug=slug, name=slug.replace("-", " ").title(),
                                           kind=kind)
    prediction_set = PredictionSet.objects.create(
        slug=f"{slug}-set", forecaster=forecaster, title=f"Set of {slug}", published_on=DAY
    )
    for position, (probability, outcome) in enumerate(forecasts, start=1):
        Prediction.objects.create(
            prediction_set=prediction_set, position=position,
            statement=f"{slug} statement {position}", probability=probability, made_on=DAY,
            outcome=outcome, market=market,
        )
    do_rescore_all()
    return forecaster

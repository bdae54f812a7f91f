"""The one registry of tasks: a spec's ``task`` name -> its :class:`~.base.Task`.

The first four tasks keep their code in their modules; their classes here say explicitly which
of the interface's methods each one implements (no probing for optional attributes). Steering
brings its own class. Metrics are registered into the shared comparison by
:func:`register_metrics`, which the harness calls before comparing: importing a task never
changes :mod:`replication.harness.stats`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

from replication.harness.context import TaskContext, TaskOutput
from replication.harness.spec import Spec
from replication.harness.tasks.base import Task


def _module(name: str) -> Any:
    return importlib.import_module(f"replication.harness.tasks.{name}")


class SparseProbing(Task):
    name = "sparse_probing"
    names_test_rows = True
    stages_seeds = True

    def scope(self, spec: Spec) -> dict[str, str]:
        return dict(_module(self.name).SCOPE)

    def required_packages(self, spec: Spec) -> list[tuple[str, str]]:
        return list(_module(self.name).required_packages(spec))

    def split_test_rows(self, spec: Spec, ds: Any, split_seed: int) -> np.ndarray:
        return np.asarray(_module(self.name).split_test_rows(spec, ds, split_seed))

    def run(self, ctx: TaskContext) -> TaskOutput:
        return _module(self.name).run(ctx)

    def run_seeds(self, ctx: TaskContext, seeds: range) -> TaskOutput:
        return _module(self.name).run_seeds(ctx, seeds)


class OodDetection(Task):
    name = "ood_detection"

    def scope(self, spec: Spec) -> dict[str, str]:
        return dict(_module(self.name).SCOPE)

    def check_dataset(self, spec: Spec, ds: Any) -> None:
        _module(self.name).check_dataset(spec, ds)

    def training_pool(self, spec: Spec, ds: Any) -> np.ndarray:
        return np.asarray(_module(self.name).training_pool(spec, ds))

    def run(self, ctx: TaskContext) -> TaskOutput:
        return _module(self.name).run(ctx)


class HypothesisPredictivity(Task):
    name = "hypothesis_predictivity"
    names_test_rows = True
    pool_uses_unlabelled_rest = True

    def scope(self, spec: Spec) -> dict[str, str]:
        return dict(_module(self.name).SCOPE)

    def required_packages(self, spec: Spec) -> list[tuple[str, str]]:
        return list(_module(self.name).required_packages(spec))

    def needs_binary_labels(self, spec: Spec) -> bool:
        return bool(_module(self.name).needs_binary_labels(spec))

    def check_dataset(self, spec: Spec, ds: Any) -> None:
        _module(self.name).check_dataset(spec, ds)

    def split_test_rows(self, spec: Spec, ds: Any, split_seed: int) -> np.ndarray:
        return np.asarray(_module(self.name).split_test_rows(spec, ds, split_seed))

    def run(self, ctx: TaskContext) -> TaskOutput:
        return _module(self.name).run(ctx)


class SpuriousCorrelationRemoval(Task):
    name = "spurious_correlation_removal"
    names_test_rows = True

    def scope(self, spec: Spec) -> dict[str, str]:
        return dict(_module(self.name).SCOPE)

    def check_dataset(self, spec: Spec, ds: Any) -> None:
        _module(self.name).check_dataset(spec, ds)

    def transform_datasets(self, spec: Spec, datasets: list[Any]) -> list[Any]:
        return list(_module(self.name).transform_datasets(spec, datasets))

    def split_test_rows(self, spec: Spec, ds: Any, split_seed: int) -> np.ndarray:
        return np.asarray(_module(self.name).split_test_rows(spec, ds, split_seed))

    def run(self, ctx: TaskContext) -> TaskOutput:
        return _module(self.name).run(ctx)


def _steering() -> Task:
    from replication.harness.tasks.steering.task import SteeringTask

    return SteeringTask()


TASKS: dict[str, Callable[[], Task]] = {
    "sparse_probing": SparseProbing,
    "ood_detection": OodDetection,
    "hypothesis_predictivity": HypothesisPredictivity,
    "spurious_correlation_removal": SpuriousCorrelationRemoval,
    "steering": _steering,
}


def get_task(name: str) -> Task:
    """The task named in a spec (spec validation has already checked the name)."""
    try:
        return TASKS[name]()
    except KeyError:
        raise KeyError(f"unknown task {name!r}; known: {', '.join(TASKS)}") from None


def register_metrics(task: Task) -> None:
    """Make the task's own metrics known to the shared comparison (idempotent)."""
    from replication.harness import stats

    for metric in task.metrics():
        stats.METRICS.setdefault(metric.name, metric.batch)
        if metric.weighted is not None:
            stats.WEIGHTED_METRICS.setdefault(metric.name, metric.weighted)
        if metric.ceiling is not None:
            stats.METRIC_CEILING.setdefault(metric.name, metric.ceiling)

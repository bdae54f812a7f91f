"""What a task receives: prepared datasets, the trained SAEs, controls, and the protocol.

Latents are computed per dataset on demand (:meth:`TaskContext.latents`), so a run over
113 datasets never holds every dataset's [rows, width] matrix at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from replication.harness.spec import Spec
from replication.harness.tuning import MethodRun

if TYPE_CHECKING:  # pragma: no cover
    from replication.harness.sae import SAE

Progress = Callable[[float, str], None]


@dataclass
class PreparedDataset:
    name: str
    X: np.ndarray
    y: np.ndarray
    ood_X: np.ndarray | None = None
    ood_y: np.ndarray | None = None
    target: np.ndarray | None = None
    groups: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class TaskContext:
    spec: Spec
    datasets: list[PreparedDataset]
    pool: np.ndarray
    saes: list[SAE]
    random_saes: list[SAE]
    device: str = "cpu"
    progress: Progress = lambda fraction, message: None  # noqa: E731

    def latents(self, sae_index: int, X: np.ndarray, *, random: bool = False) -> np.ndarray:
        from replication.harness.sae import encode_numpy

        models = self.random_saes if random else self.saes
        return encode_numpy(models[sae_index % len(models)], X, device=self.device)

    def sae_for_seed(self, seed_index: int) -> int:
        return seed_index % len(self.saes)

    def split_seed(self, dataset_index: int, seed_index: int) -> int:
        return self.spec.protocol.seed * 1_000_003 + 1000 * seed_index + dataset_index

    @property
    def width(self) -> int:
        return self.saes[0].d_sae


@dataclass
class Cell:
    """One (regime, dataset): per split seed, the test labels and each method's run."""

    regime: str
    dataset: str
    labels: list[np.ndarray] = field(default_factory=list)
    groups: list[np.ndarray | None] = field(default_factory=list)
    # per seed, each test row's identity (dataset index; OOD rows offset past the dataset),
    # so that rows several seeds test are resampled as one row
    test_ids: list[np.ndarray] = field(default_factory=list)
    runs: dict[str, list[MethodRun]] = field(default_factory=dict)

    def add(self, name: str, run: MethodRun) -> None:
        self.runs.setdefault(name, []).append(run)


@dataclass
class TaskOutput:
    metric: str
    sae_methods: list[str]
    baselines: list[str]
    controls: list[str]
    cells: list[Cell]
    ceilings: list[str] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

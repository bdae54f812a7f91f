"""Run specifications: parsing, validation with field-named errors, defaults, content hash.

A spec is TOML or JSON. The smallest valid spec names the task, the data and the SAE's
width and k; everything else has a default, listed on the dataclasses below::

    task = "sparse_probing"
    [data]
    source = "sae_probes"
    datasets = ["all"]
    [sae]
    width = 4096
    k = 32

Sections and their fields (defaults in the dataclasses):

- ``task``: one of :data:`TASKS`.
- ``name``: free text, for the summary.
- ``[data]``: where labelled rows come from (``source``: :data:`DATA_SOURCES`).
- ``[activations]``: which model turns text into vectors (``model``: ``minilm``,
  ``smollm2``, ``hf:<name or path>``, or ``arrays`` for user-supplied ``.npz``/``.safetensors``).
- ``[sae]``: architecture, width, k and training hyper-parameters, or a ``checkpoint`` to load.
- ``[protocol]``: seeds, margin, regimes, baselines, tuning budget, bootstrap, split sizes.
- ``[task_options]``: the few settings specific to one task (see :data:`TASK_OPTIONS`).
- ``device``: ``auto`` (CUDA when present), ``cpu``, ``cuda`` or ``cuda:N``.
- ``cache_dir``: embedding cache; default ``$REPLICATION_CACHE_DIR`` (the tracker's workers
  set it), else ``cache/embeddings`` under the checkout's ``var/``.

A resolved spec (defaults filled in) is frozen and hashed: :func:`spec_hash` is the SHA-256
of its canonical JSON, so two files that resolve to the same run share one hash.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from replication.harness.errors import SpecError
from replication.harness.steering_options import BASELINES as STEERING_BASELINES
from replication.harness.steering_options import OPTIONS as STEERING_OPTIONS

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_D = TypeVar("_D", bound="DataclassInstance")

TASKS = (
    "sparse_probing",
    "ood_detection",
    "hypothesis_predictivity",
    "spurious_correlation_removal",
    "steering",
)
DATA_SOURCES = (
    "sae_probes",
    "rotten_tomatoes",
    "fine_food",
    "tweets",
    "csv",
    "arrays",
    "synthetic",
    "concepts",  # steering: curated concept names (or sae-probes datasets)
)
ARCHITECTURES = ("topk", "batchtopk", "relu", "jumprelu")
POOLINGS = ("mean", "last")
REGIMES = ("normal", "scarcity", "imbalance", "label_noise", "covariate_shift")
#: "invalid": the SAE failed the spec's quality gate (results.json's verdict_reason says why)
VERDICTS = ("beats", "equivalent", "loses", "inconclusive", "invalid")

#: Baselines each task knows, and the default set (all of them).
BASELINES: dict[str, tuple[str, ...]] = {
    "sparse_probing": ("logreg", "pca_logreg", "knn", "mlp"),
    "ood_detection": ("mahalanobis", "knn_distance", "pca_reconstruction", "isolation_forest"),
    "hypothesis_predictivity": ("pca", "raw_dims", "kmeans"),
    "spurious_correlation_removal": ("leace", "mean_difference", "balanced_retraining"),
    "steering": STEERING_BASELINES,
}
DEFAULT_BASELINES: dict[str, tuple[str, ...]] = {
    "sparse_probing": ("logreg", "pca_logreg", "knn"),
    "ood_detection": BASELINES["ood_detection"],
    "hypothesis_predictivity": BASELINES["hypothesis_predictivity"],
    "spurious_correlation_removal": BASELINES["spurious_correlation_removal"],
    "steering": BASELINES["steering"],
}
#: Task-specific options and their defaults.
TASK_OPTIONS: dict[str, dict[str, Any]] = {
    # max_latents 512 and the variants follow the sparse-probing paper's SAE probe recipe
    "sparse_probing": {"max_latents": 512, "sae_probe_variants": [], "reference_methods": []},
    "ood_detection": {},
    "hypothesis_predictivity": {"n_features": 20, "target": "binary", "reference_methods": []},
    "spurious_correlation_removal": {
        "spurious_dataset": "",
        "train_correlation": 1.0,
        "max_ablated": 64,
    },
    # the steering task states its own options (replication/harness/steering_options.py)
    "steering": STEERING_OPTIONS,
}
#: Allowed entries of the list-valued task options.
TASK_OPTION_CHOICES: dict[str, tuple[str, ...]] = {
    "sae_probe_variants": ("l1", "binarised"),
    "reference_methods": ("sae_probes", "hypothesaes"),
}
REFERENCE_METHODS: dict[str, tuple[str, ...]] = {
    "sparse_probing": ("sae_probes",),
    "hypothesis_predictivity": ("hypothesaes",),
}
SAE_FITS = ("inductive", "transductive")


def _field(
    default: Any,
    doc: str,
    choices: tuple[Any, ...] | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
) -> Any:
    meta = {"doc": doc, "choices": choices, "min": minimum, "max": maximum}
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class DataSpec:
    source: str = _field("sae_probes", "where labelled rows come from", DATA_SOURCES)
    datasets: list[str] = _field(["all"], "dataset names; 'all' for every sae-probes dataset")
    path: str = _field("", "CSV / .npz / .safetensors file for the csv and arrays sources")
    text_column: str = _field("text", "CSV column holding the text")
    label_column: str = _field("label", "CSV column holding the label")
    max_rows: int = _field(1000, "rows kept per dataset after de-duplication (0: all)", minimum=0)
    min_rows: int = _field(40, "datasets with fewer usable rows are an error", minimum=4)
    include_ood: bool = _field(True, "load sae-probes OOD sets where they exist")


@dataclass(frozen=True)
class ActivationSpec:
    model: str = _field("minilm", "minilm, smollm2, hf:<name or local path>, or arrays")
    layer: int = _field(
        -1, "residual-stream layer for causal LMs (-1: the middle layer)", minimum=-1
    )
    pooling: str = _field("mean", "token pooling for causal LMs", POOLINGS)
    batch_size: int = _field(32, "texts per encoder batch", minimum=1)
    max_length: int = _field(128, "tokens per text", minimum=4)


@dataclass(frozen=True)
class SAESpec:
    width: int = _field(
        0, "dictionary size (0: sized to the pool, see sae.sized_defaults)", minimum=0
    )
    k: int = _field(0, "active latents per input for topk/batchtopk (0: sized)", minimum=0)
    architecture: str = _field("topk", "SAE architecture", ARCHITECTURES)
    checkpoint: str = _field("", "load this SAELens-format SAE instead of training")
    steps: int = _field(0, "optimiser steps (0: sized, about 100 epochs of the pool)", minimum=0)
    batch_size: int = _field(512, "activations per step", minimum=1)
    lr: float = _field(5e-4, "Adam learning rate", minimum=0.0)
    l1_coefficient: float = _field(1.0, "sparsity penalty for relu and jumprelu", minimum=0.0)
    jumprelu_init_threshold: float = _field(0.01, "initial JumpReLU threshold", minimum=0.0)
    aux_coefficient: float = _field(
        1 / 32, "weight of the auxiliary loss on dead latents", minimum=0.0
    )
    dead_after: int = _field(
        200, "steps without firing after which a latent counts as dead", minimum=1
    )
    train_fraction: float = _field(
        1.0, "fraction of the unlabelled pool used for training", minimum=0.0, maximum=1.0
    )
    b_dec_init: str = _field(
        "median",
        "decoder bias start: per-dimension median (HypotheSAEs) or mean",
        ("median", "mean"),
    )
    fit: str = _field(
        "inductive",
        "inductive: SAE, PCA and k-means never see a test row (one SAE per split seed); "
        "transductive: one pool with every row",
        SAE_FITS,
    )
    min_fve: float = _field(
        0.0, "quality gate: least mean held-out FVE, else the run is invalid", maximum=1.0
    )
    min_fve_vs_pca: float = _field(
        1.0,
        "quality gate: least held-out FVE as a multiple of rank-k PCA's on the same rows "
        "(an SAE with k active latents should explain at least what k principal directions do)",
        minimum=0.0,
    )
    max_dead_fraction: float = _field(
        0.25, "quality gate: most mean held-out dead fraction", minimum=0.0, maximum=1.0
    )
    min_fve_gain_vs_random: float = _field(
        0.0,
        "quality gate: least held-out FVE each SAE must have above a random encoder's at its "
        "width and k with a least-squares decoder fitted on its training rows (an encoder that "
        "learned nothing scores at or below it on any data); negative switches it off",
        minimum=-1.0,
        maximum=1.0,
    )


@dataclass(frozen=True)
class ProtocolSpec:
    split_seeds: int = _field(10, "train/validation/test split seeds", minimum=1)
    sae_seeds: int = _field(3, "SAE training seeds", minimum=1)
    seed: int = _field(0, "base seed; every other seed is derived from it", minimum=0)
    margin: float = _field(
        0.01, "absolute margin on the metric (used by margin_kind absolute or both)", minimum=0.0
    )
    margin_kind: str = _field(
        "relative_error",
        "relative_error: the margin is relative_margin x the error (1 - metric); absolute: "
        "margin; both: the larger",
        ("relative_error", "absolute", "both"),
    )
    relative_margin: float = _field(
        0.05, "share of the error (1 - metric) a difference must exceed", minimum=0.0, maximum=1.0
    )
    margin_floor: float = _field(
        0.01,
        "absolute floor under the margin (metric units): no beats or loses on a smaller gap; "
        "0.01 AUROC, the smallest SAE-vs-baseline difference the sparse-probing literature "
        "reports (docs/REPLICATIONS.md)",
        minimum=0.0,
    )
    rule_version: int = _field(
        4,
        "verdict rule (part of the hash: results stay attributable to their rule; the same "
        "as replication.harness.stats.RULE_VERSION)",
        (4,),
    )
    max_split_seeds: int = _field(
        60,
        "most split seeds the harness may use: from split_seeds it doubles the seeds until the "
        "verdict is decided or this many are spent, with O'Brien-Fleming alpha spending over "
        "the looks (0 or split_seeds: one look). Runs with one SAE per split seed look once. "
        "60, not 30: planted nulls reach 'equivalent' and wins of twice the margin 'beats' "
        "often enough only past 30 (docs/BENCHMARKS.md, verdict calibration)",
        minimum=0,
    )
    smallest_effect: float = _field(
        0.03,
        "smallest difference worth detecting (metric units): each look plans the next stage's "
        "seeds to detect it with 80% power",
        minimum=0.0,
    )
    alpha: float = _field(
        0.05, "significance level after Holm correction", minimum=0.0, maximum=1.0
    )
    regimes: list[str] = _field(
        ["normal", "scarcity", "imbalance", "label_noise", "covariate_shift"],
        "sparse-probing regimes",
    )
    baselines: list[str] = _field([], "baselines (empty: the task's defaults)")
    tuning_budget: int = _field(
        8, "hyper-parameter settings tried per method, by cross-validation", minimum=1
    )
    cv_folds: int = _field(
        5, "stratified folds over train + validation rows for tuning and choosing", minimum=2
    )
    cv_loo_at_most: int = _field(
        40,
        "leave-one-out instead of k-fold when train + validation hold this many rows or fewer",
        minimum=0,
    )
    bootstrap_samples: int = _field(1000, "paired bootstrap resamples", minimum=100)
    train_size: int = _field(512, "labelled training rows (normal regime)", minimum=2)
    val_size: int = _field(128, "validation rows", minimum=2)
    test_size: int = _field(256, "test rows", minimum=2)
    scarcity_train_size: int = _field(16, "training rows in the data-scarcity regime", minimum=2)
    imbalance_positive_fraction: float = _field(
        0.05, "positive share of training rows under imbalance", minimum=0.0, maximum=0.5
    )
    label_noise_rate: float = _field(
        0.2, "share of training labels flipped under label noise", minimum=0.0, maximum=0.5
    )


@dataclass(frozen=True)
class Spec:
    task: str = _field("", "the task to replicate", TASKS)
    data: DataSpec = field(default_factory=DataSpec)
    sae: SAESpec = field(default_factory=SAESpec)
    activations: ActivationSpec = field(default_factory=ActivationSpec)
    protocol: ProtocolSpec = field(default_factory=ProtocolSpec)
    task_options: dict[str, Any] = field(default_factory=dict)
    #: what this run tests and does not test: {"tests": ..., "does_not_test": ...}
    scope: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    device: str = "auto"
    cache_dir: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def baselines(self) -> tuple[str, ...]:
        return tuple(self.protocol.baselines) or DEFAULT_BASELINES[self.task]

    def option(self, name: str) -> Any:
        return self.task_options.get(name, TASK_OPTIONS[self.task][name])


# --- parsing ---------------------------------------------------------------------------------


SPEC_SUFFIXES = {".json": "json", ".toml": "toml"}


def load_spec_file(path: str | Path) -> Spec:
    """Read, parse and validate the spec file at ``path``; errors name the file.

    A ``.json`` file is JSON, a ``.toml`` file TOML; any other name is refused before the
    file is read (its content is never sniffed: a YAML or INI file would be read as TOML)."""
    path = Path(path)
    source = str(path)
    fmt = SPEC_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise SpecError("", f"unknown spec file suffix {path.suffix or '(none)'!r}: a spec "
                        "file is .toml or .json", source=source)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError("", "spec file not found", source=source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError("", f"cannot read the spec file: {exc}", source=source) from exc
    return _parse(text, fmt, source)


def parse_spec(text: str, *, source: str = "<text>") -> Spec:
    """Parse and validate spec text: JSON when it starts with ``{``, else TOML.

    ``text`` is always the spec itself, never a path (see :func:`load_spec_file`);
    ``source`` names where it came from in error messages."""
    return _parse(text, spec_format(text), source)


def spec_format(text: str) -> str:
    """``"json"`` or ``"toml"``: how :func:`parse_spec` reads ``text``."""
    return "json" if text.lstrip().startswith("{") else "toml"


def _parse(text: str, fmt: str, source: str) -> Spec:
    try:
        return spec_from_dict(_parse_text(text, fmt))
    except SpecError as exc:
        if exc.source:
            raise
        raise SpecError(exc.field, exc.message, source=source) from exc


def _parse_text(text: str, fmt: str) -> dict[str, Any]:
    raw: object
    if fmt == "json":
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError("", f"invalid JSON: {exc}") from exc
    else:
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SpecError("", f"invalid TOML: {exc}") from exc
    if not isinstance(raw, dict):
        raise SpecError("", "a spec must be a table/object at top level")
    return raw


def spec_from_dict(raw: dict[str, Any]) -> Spec:
    """Validate a mapping and build a :class:`Spec`; errors name the field."""
    spec = _build(Spec, raw, "")
    if spec.data.source in ("arrays", "synthetic"):
        # user-supplied (or generated) arrays are the activations themselves
        spec = dataclasses.replace(
            spec, activations=dataclasses.replace(spec.activations, model="arrays")
        )
    _check_semantics(spec)
    return spec


def _build(cls: type[_D], raw: object, prefix: str) -> _D:
    if not isinstance(raw, dict):
        raise SpecError(prefix.rstrip("."), "must be a table")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise SpecError(prefix + unknown[0], f"unknown field (known: {', '.join(sorted(known))})")
    values: dict[str, Any] = {}
    for name, value in raw.items():
        path = prefix + name
        hint = hints[name]
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            values[name] = _build(hint, value, path + ".")
            continue
        values[name] = _coerce(value, hint, path)
        meta = known[name].metadata
        _check_bounds(values[name], meta, path)
    return cls(**values)


def _coerce(value: Any, hint: Any, path: str) -> Any:
    origin = typing.get_origin(hint)
    if hint is bool:
        if not isinstance(value, bool):
            raise SpecError(path, f"must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpecError(path, f"must be an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SpecError(path, f"must be a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise SpecError(path, f"must be a string, got {value!r}")
        return value
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise SpecError(path, f"must be a list, got {value!r}")
        return [_coerce(v, item, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise SpecError(path, f"must be a table, got {value!r}")
        return dict(value)
    if isinstance(hint, types.UnionType):  # pragma: no cover - not used by the current fields
        raise SpecError(path, "unsupported field type")
    raise SpecError(path, f"unsupported field type {hint!r}")  # pragma: no cover


def _check_bounds(value: Any, meta: Any, path: str) -> None:
    choices = meta.get("choices") if meta else None
    if choices and value not in choices:
        raise SpecError(path, f"must be one of {', '.join(map(str, choices))}; got {value!r}")
    low = meta.get("min") if meta else None
    high = meta.get("max") if meta else None
    if low is not None and value < low:
        raise SpecError(path, f"must be >= {low}, got {value!r}")
    if high is not None and value > high:
        raise SpecError(path, f"must be <= {high}, got {value!r}")


def _check_semantics(spec: Spec) -> None:
    """What a well-formed spec may still get wrong, section by section, in the order a
    reader of the file meets them (the first problem is the one reported)."""
    if not spec.task:
        raise SpecError("task", f"is required (one of {', '.join(TASKS)})")
    _check_sae(spec.sae)
    for key in spec.scope:
        if key not in ("tests", "does_not_test") or not isinstance(spec.scope[key], str):
            raise SpecError(f"scope.{key}", "scope holds two strings: tests and does_not_test")
    _check_data_and_model(spec)
    _check_protocol(spec)
    _check_task_options(spec)
    device = spec.device
    if device not in ("auto", "cpu", "cuda") and not (
        device.startswith("cuda:") and device[5:].isdigit()
    ):
        raise SpecError("device", f"must be auto, cpu, cuda or cuda:N; got {device!r}")


def _check_sae(sae: SAESpec) -> None:
    if (
        not sae.checkpoint
        and sae.architecture in ("topk", "batchtopk")
        and sae.width
        and sae.k > sae.width
    ):
        raise SpecError("sae.k", f"must not exceed sae.width ({sae.width}), got {sae.k}")


def _check_data_and_model(spec: Spec) -> None:
    data = spec.data
    if not data.datasets:
        raise SpecError("data.datasets", "must name at least one dataset")
    if data.source in ("csv", "arrays") and not data.path and data.datasets == ["all"]:
        raise SpecError("data.path", f"is required for source {data.source!r}")
    model = spec.activations.model
    if model not in ("minilm", "smollm2", "arrays") and not model.startswith("hf:"):
        raise SpecError(
            "activations.model", f"must be minilm, smollm2, arrays or hf:<name>; got {model!r}"
        )
    if model == "arrays" and data.source not in ("arrays", "synthetic"):
        raise SpecError("activations.model", "arrays needs data.source = 'arrays' or 'synthetic'")


def _check_protocol(spec: Spec) -> None:
    proto = spec.protocol
    for i, regime in enumerate(proto.regimes):
        if regime not in REGIMES:
            raise SpecError(
                f"protocol.regimes[{i}]", f"must be one of {', '.join(REGIMES)}; got {regime!r}"
            )
    if not proto.regimes:
        raise SpecError("protocol.regimes", "must name at least one regime")
    known = BASELINES[spec.task]
    for i, name in enumerate(proto.baselines):
        if name not in known:
            raise SpecError(
                f"protocol.baselines[{i}]",
                f"unknown baseline for {spec.task} (known: {', '.join(known)}); got {name!r}",
            )


def _check_task_options(spec: Spec) -> None:
    options = TASK_OPTIONS[spec.task]
    for key, value in spec.task_options.items():
        if key not in options:
            known_opts = ", ".join(options) or "none"
            raise SpecError(
                f"task_options.{key}", f"unknown option for {spec.task} (known: {known_opts})"
            )
        default = options[key]
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            continue
        if type(value) is not type(default):
            raise SpecError(
                f"task_options.{key}", f"must be {type(default).__name__}, got {value!r}"
            )
        allowed = TASK_OPTION_CHOICES.get(key)
        if key == "reference_methods":
            allowed = REFERENCE_METHODS.get(spec.task, ())
        if allowed is None:
            continue
        for i, item in enumerate(value):
            if item not in allowed:
                raise SpecError(
                    f"task_options.{key}[{i}]",
                    f"must be one of {', '.join(allowed) or 'nothing for ' + spec.task}; "
                    f"got {item!r}",
                )
    if spec.task == "hypothesis_predictivity" and spec.option("target") not in (
        "binary",
        "continuous",
    ):
        raise SpecError("task_options.target", "must be binary or continuous")


# --- hashing ---------------------------------------------------------------------------------


def canonical_json(spec: Spec) -> str:
    return json.dumps(spec.to_dict(), sort_keys=True, separators=(",", ":"))


def spec_hash(spec: Spec) -> str:
    """SHA-256 of the resolved spec's canonical JSON: the run's identity."""
    return hashlib.sha256(canonical_json(spec).encode("utf-8")).hexdigest()


def describe_fields() -> list[tuple[str, str, Any]]:
    """(field path, documentation, default) for every field, for docs and ``--help``."""
    rows: list[tuple[str, str, Any]] = []

    def walk(cls: type[DataclassInstance], prefix: str) -> None:
        for f in dataclasses.fields(cls):
            hint = typing.get_type_hints(cls)[f.name]
            if isinstance(hint, type) and dataclasses.is_dataclass(hint):
                walk(hint, prefix + f.name + ".")
                continue
            default: Any = f.default
            if f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            rows.append((prefix + f.name, f.metadata.get("doc", ""), default))

    walk(Spec, "")
    return rows

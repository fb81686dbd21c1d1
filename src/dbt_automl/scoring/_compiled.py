"""What scoring loads: a model version's scoring form, built once and cached per version.

The scoring form (:class:`dbt_automl._model.ArrowModel`) is the model with its fitted
preprocessing replayed in numpy (:class:`dbt_automl.preprocess.FastTransform`) and its
members swapped for scoring twins:

- tree models compiled to native code (Treelite -> TL2cgen). Measured on the demo's fraud
  model (76 LightGBM trees, 23 features, one core): LightGBM's own predict 438k rows/s, the
  compiled library 1.23M rows/s (2.8x), identical outputs; Treelite's interpreter (GTIL)
  169k rows/s, so it is not used. LightGBM, random forests, extra trees and
  HistGradientBoosting compile; compiling costs ~0.6 ms a tree node with gcc, so models
  above MAX_NODES stay as they are.
- CatBoost held to one thread. CatBoost predicts on every core by default
  (``thread_count=-1``), whatever threadpoolctl says: on 2,048 rows that spent 17.6 ms of
  CPU against 1.7 ms on one thread from float32 rows (a 400-tree model; the same
  probabilities, CatBoost compares float32 features anyway). Scoring's parallelism is its
  batches.
- logistic regression and ridge as their coefficients.

The scoring form holds no scikit-learn object when every part has a twin (kNN, SVM, free
text and uncompiled boosting keep theirs), so loading it imports neither scikit-learn nor
scipy.stats: ~1 s of a scoring process's start-up, most of it scipy building docstrings.

Everything lives in ``<version>/compiled/``: the libraries, the pickled scoring form
(``scoring.pkl``) and a manifest of their SHA-256s, of the model file they were built from
and of the library versions. Nothing there is loaded unless every checksum matches and the
model file still has the checksum its metadata records; otherwise it is built again from
the model file (itself refused when its checksum does not match).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import os
import pickle
import shutil
import tempfile
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np

from dbt_automl._log import Logger
from dbt_automl._model import ArrowModel, AutoMLModel
from dbt_automl.preprocess import FeatureSchema
from dbt_automl.registry import (
    FORMAT_VERSION,
    METADATA_FILE,
    MODEL_FILE,
    load_version,
    read_metadata,
    sha256_of,
)
from dbt_automl.search import FoldBagged, WeightedEnsemble

MAX_NODES = 50_000
CACHE_DIR = "compiled"
MANIFEST = "manifest.json"
SCORING_FILE = "scoring.pkl"
# Bumped whenever the classes pickled in SCORING_FILE change shape.
SCORING_FORMAT = 1
# Source files per library: gcc's optimiser grows faster than linearly with a file's size.
PARALLEL_COMP = 8


class CompiledTrees:
    """A drop-in for a fitted tree model's ``predict`` / ``predict_proba``.

    Args:
        library: the compiled shared library.
        float32: compare features as float32, as scikit-learn's own trees do.
    """

    def __init__(self, library: Path, float32: bool) -> None:
        import tl2cgen

        self.library = library
        self.float32 = float32
        self._predictor = tl2cgen.Predictor(str(library), nthread=1)

    def _raw(self, X: np.ndarray) -> np.ndarray:
        import tl2cgen

        # scikit-learn's forests split float32 features on float64 thresholds: rounding the
        # features the same way is what makes the compiled forest take the same branches.
        rows = np.asarray(X, dtype=np.float32 if self.float32 else np.float64)
        out = self._predictor.predict(tl2cgen.DMatrix(rows.astype(np.float64)))
        return np.asarray(out, dtype=np.float64).reshape(len(X), -1)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities, as the library's ``predict_proba`` gives them."""
        out = self._raw(X)
        if out.shape[1] == 1:  # boosting's binary output is the positive class alone
            return np.column_stack([1.0 - out[:, 0], out[:, 0]])
        return out

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted values (regression)."""
        return self._raw(X)[:, 0]


class OneThreadCatBoost:
    """A fitted CatBoost model predicting on one thread from float32 rows (the same
    outputs as its own ``predict_proba`` / ``predict``)."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities, as CatBoost's ``predict_proba`` gives them."""
        return np.asarray(self.model.predict_proba(_float32(X), thread_count=1))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted values (regression)."""
        return np.asarray(self.model.predict(_float32(X), thread_count=1))


class LinearTwin:
    """``LogisticRegression`` / ``Ridge`` as their coefficients: scikit-learn's arithmetic
    (decision function, then the logistic or the softmax) without scikit-learn."""

    def __init__(self, coef: np.ndarray, intercept: Any, classifier: bool) -> None:
        self.coef = coef
        self.intercept = intercept
        self.classifier = classifier

    def _decision(self, X: np.ndarray) -> np.ndarray:
        scores = X @ (self.coef.T if self.coef.ndim == 2 else self.coef) + self.intercept
        return scores.reshape(-1) if scores.ndim > 1 and scores.shape[1] == 1 else scores

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities, as ``LogisticRegression.predict_proba`` gives them."""
        decision = self._decision(np.asarray(X, dtype=np.float64))
        with np.errstate(over="ignore"):
            if decision.ndim == 1:
                positive = 1.0 / (1.0 + np.exp(-decision))
                return np.stack([1 - positive, positive], axis=1)
            shifted = np.exp(decision - decision.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted values, as ``Ridge.predict`` gives them."""
        return self._decision(np.asarray(X, dtype=np.float64))


def _float32(X: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(X, dtype=np.float32)


def _twin_of(estimator: Any) -> Any:
    """The library-free twin of a member that has one (compiled trees aside), else None."""
    name = type(estimator).__name__
    if name in ("CatBoostClassifier", "CatBoostRegressor"):
        return OneThreadCatBoost(estimator)
    if name == "LogisticRegression":
        return LinearTwin(estimator.coef_, estimator.intercept_, classifier=True)
    if name == "Ridge":
        return LinearTwin(estimator.coef_, estimator.intercept_, classifier=False)
    return None


_FORESTS = (
    "RandomForestClassifier",
    "RandomForestRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
)
_HGB = ("HistGradientBoostingClassifier", "HistGradientBoostingRegressor")


def _treelite_model(estimator: Any) -> tuple[Any, bool] | None:
    """The estimator as a Treelite model and whether it reads float32 features, or None
    when it is not a compilable tree model."""
    import treelite

    name = type(estimator).__name__
    if name in ("LGBMClassifier", "LGBMRegressor"):
        import lightgbm

        best = getattr(estimator, "best_iteration_", None) or None
        # Early-stopped models predict with their best iteration: compile only those trees.
        text = estimator.booster_.model_to_string(num_iteration=best)
        return treelite.frontend.from_lightgbm(lightgbm.Booster(model_str=text)), False
    if name in _FORESTS + _HGB:
        return treelite.sklearn.import_model(estimator), name in _FORESTS
    return None


def _nodes(model: Any) -> int:
    return int(sum(len(tree["nodes"]) for tree in json.loads(model.dump_as_json())["trees"]))


def _members(estimator: Any) -> list[Any]:
    """Every fitted member of the final estimator, in a fixed order."""
    if isinstance(estimator, WeightedEnsemble):
        return list(estimator.estimators)
    if isinstance(estimator, FoldBagged):
        return [model for fold_models in estimator.members for model in fold_models]
    return [estimator]


def _replaced(estimator: Any, twins: dict[int, Any]) -> Any:
    """A copy of the final estimator whose members are swapped for their twins (and, when
    fold-bagged, without its fold preprocessors: scoring replays them as FastTransforms)."""
    if isinstance(estimator, WeightedEnsemble):
        swapped = copy.copy(estimator)
        swapped.estimators = [twins.get(i, e) for i, e in enumerate(estimator.estimators)]
        return swapped
    if isinstance(estimator, FoldBagged):
        bagged, position = copy.copy(estimator), 0
        bagged.preprocessors = [None] * len(estimator.preprocessors)
        bagged.members = []
        for fold_models in estimator.members:
            bagged.members.append([twins.get(position + k, m) for k, m in enumerate(fold_models)])
            position += len(fold_models)
        return bagged
    return twins.get(0, estimator)


def scoring_model(version_dir: Path, log: Logger) -> tuple[ArrowModel, dict[str, Any]]:
    """The scoring form of the version in ``version_dir`` and its metadata.

    Loads ``version_dir/compiled/`` when every checksum matches; else loads the model file
    (checksum verified), builds the twins, compiles what compiles (atomically, so
    concurrent scorers agree) and caches them. Keeps the library's trees, saying so, when
    nothing compiles here (no compiler).
    """
    cached = _load_cached(version_dir, log)
    if cached is not None:
        return cached
    model, metadata = load_version(version_dir)
    _build(model, FeatureSchema.from_dict(metadata["features"]), version_dir, log)
    cached = _load_cached(version_dir, log)
    if cached is None:  # the cache directory is not writable, or another build is broken
        log.warning(f"{version_dir}: scoring from the model file (no usable {CACHE_DIR}/)")
        return _twinned(model, FeatureSchema.from_dict(metadata["features"]), {}), metadata
    return cached


def _twinned(model: AutoMLModel, schema: FeatureSchema, compiled: dict[int, Any]) -> ArrowModel:
    twins = {i: t for i, m in enumerate(_members(model.estimator)) if (t := _twin_of(m))}
    arrow = model.arrow(schema)
    arrow.estimator = _replaced(model.estimator, {**twins, **compiled})
    return arrow


def _manifest_key(version_dir: Path) -> dict[str, Any]:
    # Versions from the installed distributions: importing Treelite costs what this avoids.
    versions = {}
    for dist in ("dbt-automl", "treelite", "tl2cgen", "catboost", "numpy"):
        with contextlib.suppress(importlib_metadata.PackageNotFoundError):
            versions[dist] = importlib_metadata.version(dist)
    return {
        "model_sha256": sha256_of(version_dir / MODEL_FILE),
        "scoring_format": SCORING_FORMAT,
        "versions": versions,
    }


def _verified(version_dir: Path) -> dict[str, Any] | None:
    """The version's metadata if its cache is complete and every checksum matches."""
    cache = version_dir / CACHE_DIR
    manifest_path, meta_path = cache / MANIFEST, version_dir / METADATA_FILE
    if not manifest_path.is_file() or not meta_path.is_file():
        return None
    metadata = read_metadata(meta_path)
    if metadata.get("format_version") != FORMAT_VERSION:
        return None  # load_version says why
    recorded = json.loads(manifest_path.read_text())
    key = _manifest_key(version_dir)
    if {k: recorded.get(k) for k in key} != key:
        return None
    if key["model_sha256"] != metadata["artifact"]["sha256"]:
        return None  # a changed model file: load_version refuses it
    for file, digest in recorded["sha256"].items():
        path = cache / file
        if not path.is_file() or sha256_of(path) != digest:
            return None
    return metadata


def _load_cached(version_dir: Path, log: Logger) -> tuple[ArrowModel, dict[str, Any]] | None:
    """The cached scoring form, if the cache is complete and every checksum matches."""
    metadata = _verified(version_dir)
    if metadata is None:
        return None
    cache = version_dir / CACHE_DIR
    try:
        with open(cache / SCORING_FILE, "rb") as stream:
            model = _Unpickler(stream, cache).load()
    except Exception as exc:  # e.g. a library that no longer loads: build again
        log.warning(f"{version_dir}: cached scoring model unusable ({exc}); rebuilding")
        return None
    return model, metadata


class _Pickler(pickle.Pickler):
    """Compiled libraries are pickled as their file name in the cache directory."""

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, CompiledTrees):
            return ("compiled-trees", obj.library.name, obj.float32)
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, stream: Any, cache: Path) -> None:
        super().__init__(stream)
        self.cache = cache

    def persistent_load(self, pid: Any) -> Any:
        kind, file, float32 = pid
        if kind != "compiled-trees":
            raise pickle.UnpicklingError(f"unknown persistent id {kind!r}")
        return CompiledTrees(self.cache / file, float32)


def _build(model: AutoMLModel, schema: FeatureSchema, version_dir: Path, log: Logger) -> None:
    """Compile, twin and pickle into a temporary directory, then publish it."""
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{CACHE_DIR}.tmp-", dir=version_dir))
    except OSError as exc:
        log.warning(f"{version_dir}: cannot cache the scoring model ({exc})")
        return
    try:
        compiled = _compile(model, tmp, log)
        with open(tmp / SCORING_FILE, "wb") as stream:
            _Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL).dump(
                _twinned(model, schema, compiled)
            )
        files = [SCORING_FILE, *(c.library.name for c in compiled.values())]
        manifest = {
            **_manifest_key(version_dir),
            "sha256": {file: sha256_of(tmp / file) for file in files},
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
        _publish(tmp, version_dir / CACHE_DIR)
        log.info(f"{version_dir}: scoring model cached ({len(compiled)} tree model(s) compiled)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _compile(model: AutoMLModel, tmp: Path, log: Logger) -> dict[int, CompiledTrees]:
    """Compiled twins of the compilable tree members, their libraries in ``tmp``."""
    try:
        import tl2cgen

        compiled = {}
        for i, member in enumerate(_members(model.estimator)):
            found = _treelite_model(member)
            if found is None or _nodes(found[0]) > MAX_NODES:
                continue
            tree_model, float32 = found
            library = tmp / f"member{i}.so"
            with contextlib.redirect_stdout(io.StringIO()):  # Treelite's version chatter
                tl2cgen.export_lib(
                    tree_model,
                    toolchain="gcc",
                    libpath=str(library),
                    params={"parallel_comp": PARALLEL_COMP},
                    nthread=os.cpu_count() or 1,
                )
            compiled[i] = CompiledTrees(library, float32)
        return compiled
    except Exception as exc:  # no compiler, a library Treelite cannot read: not fatal
        log.warning(f"{tmp.parent}: compiled trees unavailable ({exc}); using the library")
        return {}


def _publish(tmp: Path, final: Path) -> None:
    """Rename the new cache into place; a stale one is replaced, a concurrent one kept."""
    if final.exists() and _verified(final.parent) is not None:
        return  # another scorer published a valid cache meanwhile
    if final.exists():
        stale = final.with_name(f".{final.name}.stale-{hashlib.sha1(os.urandom(8)).hexdigest()}")
        with contextlib.suppress(OSError):
            os.rename(final, stale)
            shutil.rmtree(stale, ignore_errors=True)
    with contextlib.suppress(OSError):  # another process published first: keep theirs
        os.rename(tmp, final)

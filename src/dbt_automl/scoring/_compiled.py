"""Scoring twins of a model's members: tree models compiled to native code (Treelite ->
TL2cgen), cached per model version, and CatBoost held to one thread.

Measured on the demo's fraud model (76 LightGBM trees, 23 features, one core): LightGBM's
own predict 438k rows/s, the compiled library 1.23M rows/s (2.8x), identical outputs;
Treelite's interpreter (GTIL) 169k rows/s, so it is not used. LightGBM, random forests,
extra trees and HistGradientBoosting compile; CatBoost, linear, kNN and SVM members keep
their library's predict. Compiling costs ~0.6 ms a tree node with gcc, so models above
MAX_NODES stay as they are.

CatBoost predicts on every core by default (``thread_count=-1``), whatever threadpoolctl
says: on 2,048 rows that spent 17.6 ms of CPU against 1.7 ms on one thread from float32
rows (measured on a 400-tree model; the same probabilities, CatBoost compares float32
features anyway). Scoring's parallelism is its batches, so the twin predicts on one thread.

The libraries live in ``<version>/compiled/`` with a manifest of their SHA-256s and of the
model file they were compiled from; a library whose checksum does not match is never
loaded, it is compiled again.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from dbt_automl._log import Logger
from dbt_automl._model import AutoMLModel
from dbt_automl.registry import sha256_of
from dbt_automl.search import FoldBagged, WeightedEnsemble

MAX_NODES = 50_000
CACHE_DIR = "compiled"
MANIFEST = "manifest.json"
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


def _float32(X: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(X, dtype=np.float32)


def _is_catboost(estimator: Any) -> bool:
    return type(estimator).__name__ in ("CatBoostClassifier", "CatBoostRegressor")


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
    """A copy of the final estimator whose members are swapped for their compiled twins."""
    if isinstance(estimator, WeightedEnsemble):
        swapped = copy.copy(estimator)
        swapped.estimators = [twins.get(i, e) for i, e in enumerate(estimator.estimators)]
        return swapped
    if isinstance(estimator, FoldBagged):
        bagged, position = copy.copy(estimator), 0
        bagged.members = []
        for fold_models in estimator.members:
            bagged.members.append([twins.get(position + k, m) for k, m in enumerate(fold_models)])
            position += len(fold_models)
        return bagged
    return twins.get(0, estimator)


def compiled(model: AutoMLModel, version_dir: Path, log: Logger) -> AutoMLModel:
    """``model`` with its members swapped for their scoring twins: every compilable tree
    member for its compiled library, every CatBoost member for :class:`OneThreadCatBoost`.

    Uses the libraries cached in ``version_dir/compiled/`` when their checksums and the
    model file's match, else compiles them (atomically, so concurrent scorers agree).
    Keeps the library's trees, saying so, when nothing compiles here (no compiler).
    """
    twins: dict[int, Any] = {
        i: OneThreadCatBoost(member)
        for i, member in enumerate(_members(model.estimator))
        if _is_catboost(member)
    }
    try:
        libraries = _cached(version_dir) or _compile(model, version_dir, log)
    except Exception as exc:  # no compiler, a library Treelite cannot read: not fatal
        log.warning(f"{version_dir}: compiled trees unavailable ({exc}); using the library")
        libraries = {}
    for i, entry in libraries.items():
        twins[int(i)] = CompiledTrees(version_dir / CACHE_DIR / entry["file"], entry["float32"])
    if not twins:
        return model
    faster = copy.copy(model)
    faster.estimator = _replaced(model.estimator, twins)
    faster._fast = None
    return faster


def _manifest_key(version_dir: Path) -> dict[str, str]:
    import tl2cgen
    import treelite

    return {
        "model_sha256": sha256_of(version_dir / "model.joblib"),
        "treelite": treelite.__version__,
        "tl2cgen": tl2cgen.__version__,
    }


def _cached(version_dir: Path) -> dict[str, dict[str, Any]] | None:
    """The cached libraries (member index -> file), if every checksum still matches."""
    manifest = version_dir / CACHE_DIR / MANIFEST
    if not manifest.is_file():
        return None
    recorded = json.loads(manifest.read_text())
    if {k: recorded.get(k) for k in ("model_sha256", "treelite", "tl2cgen")} != _manifest_key(
        version_dir
    ):
        return None
    for file, digest in recorded["sha256"].items():
        path = version_dir / CACHE_DIR / file
        if not path.is_file() or sha256_of(path) != digest:
            return None
    return dict(recorded["libraries"])


def _compile(model: AutoMLModel, version_dir: Path, log: Logger) -> dict[str, dict[str, Any]]:
    import tl2cgen

    tmp = Path(tempfile.mkdtemp(prefix=f".{CACHE_DIR}.tmp-", dir=version_dir))
    try:
        libraries: dict[str, dict[str, Any]] = {}
        for i, member in enumerate(_members(model.estimator)):
            found = _treelite_model(member)
            if found is None or _nodes(found[0]) > MAX_NODES:
                continue
            tree_model, float32 = found
            file = f"member{i}.so"
            with contextlib.redirect_stdout(io.StringIO()):  # Treelite's version chatter
                tl2cgen.export_lib(
                    tree_model,
                    toolchain="gcc",
                    libpath=str(tmp / file),
                    params={"parallel_comp": PARALLEL_COMP},
                    nthread=os.cpu_count() or 1,
                )
            libraries[str(i)] = {"file": file, "float32": float32}
        manifest = {
            **_manifest_key(version_dir),
            "libraries": libraries,
            "sha256": {e["file"]: sha256_of(tmp / e["file"]) for e in libraries.values()},
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
        _publish(tmp, version_dir / CACHE_DIR)
        log.info(f"{version_dir}: compiled {len(libraries)} tree model(s) for scoring")
        return _cached(version_dir) or {}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _publish(tmp: Path, final: Path) -> None:
    """Rename the new cache into place; a stale one is replaced, a concurrent one kept."""
    if final.exists() and _cached(final.parent) is not None:
        return  # another scorer published a valid cache meanwhile
    if final.exists():
        stale = final.with_name(f".{final.name}.stale-{hashlib.sha1(os.urandom(8)).hexdigest()}")
        with contextlib.suppress(OSError):
            os.rename(final, stale)
            shutil.rmtree(stale, ignore_errors=True)
    with contextlib.suppress(OSError):  # another process published first: keep theirs
        os.rename(tmp, final)

"""Per-row contributions of the input columns to a version's raw prediction.

A row's raw prediction is the positive class's log-odds (binary), the predicted class's
raw score (multiclass: the softmax input, log-probability up to a per-row constant) or the
value (regression). For each member of the final model:

- LightGBM (``pred_contrib=True``) and CatBoost (``ShapValues``): their own exact tree SHAP
  values, relative to the training rows' expected output, which the trees record;
- logistic regression and ridge: ``coef * (x - mean)``, the mean of the encoded training
  rows recorded at training (``decisions.explanation_reference``);
- the other families (histogram boosting, forests, SVM, kNN): baseline Shapley values
  against that mean row, estimated on two antithetic orders of the input columns (the
  order and its reverse; 2 x columns predictions a batch). They sum exactly to the
  prediction minus the baseline's; the shares between columns are an estimate.

Members' contributions are weighted by their ensemble weights (averaged over folds when
fold-bagged): exact for one member and for regression, while for a classifier ensemble
they explain the weighted mean of the members' log-odds, close to, not equal to, the
log-odds of their mean probability. A Platt or temperature calibration is linear in the
log-odds, so it is applied to the contributions and the baseline.

Contributions are computed per encoded column and summed back to the input column that
made it (one-hot levels, missing-value flags, date parts, text components).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from dbt_automl._log import Logger
from dbt_automl._model import AutoMLModel
from dbt_automl.errors import ConfigError
from dbt_automl.preprocess import FastTransform, FeatureSchema
from dbt_automl.search import FoldBagged, WeightedEnsemble
from dbt_automl.tasks._curves import EXPLANATION_REFERENCE

MAX_EXPLAIN = 20  # beyond, a long table (one row per feature) serves better than columns


def explain_count(value: Any, model: str) -> int:
    """How many contributions a scored row gets: ``explain`` as given (None, 0 or false:
    none).

    Raises:
        ConfigError: not a whole number from 0 to MAX_EXPLAIN.
    """
    if value is None or value is False:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_EXPLAIN:
        raise ConfigError(
            f"explain must be a whole number of contributions from 0 to {MAX_EXPLAIN}, "
            f"got {value!r}",
            "set meta.explain (or score(explain=...)) to e.g. 3, or remove it",
            model=model,
            key="explain",
        )
    return value


def explanation_fields(n: int) -> list[pa.Field]:
    """The scores table's explanation columns for the top ``n`` contributions."""
    fields = [pa.field("contribution_baseline", pa.float64())]
    for k in range(1, n + 1):
        fields += [
            pa.field(f"top_feature_{k}", pa.string()),
            pa.field(f"top_contribution_{k}", pa.float64()),
        ]
    return fields


def owners(transform: FastTransform) -> list[str]:
    """The input column each encoded column of ``transform``'s output comes from."""
    from dbt_automl.preprocess import _replay

    found: list[str] = []
    branches: list[Any] = list(transform.branches)
    for branch in branches:
        names = [c.name for c in getattr(branch, "columns", [])]
        if isinstance(branch, _replay.Scaled):
            flagged = next((s.flagged for s in branch.steps if isinstance(s, _replay.Impute)), [])
            found += names + [names[i] for i in flagged]
        elif isinstance(branch, _replay.Dates):
            found += [n for n, parts in zip(names, branch.parts, strict=True) for _ in parts]
        elif isinstance(branch, _replay.OneHot):
            found += [n for n, w in zip(names, branch.widths, strict=True) for _ in range(w)]
        elif isinstance(branch, _replay.Target):
            found += [n for n in names for _ in range(branch.n_classes)]
        else:  # free text: one block of components per column
            text = branch.pipeline.steps[0][1]
            found += [
                n
                for n, m in zip(branch.schema.names(), text.models_, strict=True)
                for _ in range(_text_width(m))
            ]
    return found


def _text_width(model: tuple[Any, Any]) -> int:
    vectorizer, svd = model
    if vectorizer is None:
        return 1
    return len(vectorizer.vocabulary_) if svd is None else int(svd.n_components)


def _parts(estimator: Any) -> list[tuple[int, Any, float]]:
    """(transform index, fitted member, weight) of every member of the final estimator."""
    if isinstance(estimator, WeightedEnsemble):
        return [(0, e, w) for e, w in zip(estimator.estimators, estimator.weights, strict=True)]
    if isinstance(estimator, FoldBagged):
        folds = len(estimator.preprocessors)
        return [
            (k, models[k], weight / folds)
            for models, weight in zip(estimator.members, estimator.weights, strict=True)
            for k in range(folds)
        ]
    return [(0, estimator, 1.0)]


class Explainer:
    """Contributions of a version's input columns to its raw predictions.

    Args:
        model: the version's model as trained (not its scoring twins: compiled trees have
            no contributions).
        metadata: the version's metadata (feature schema, reference means).
        top: how many of the largest contributions a scored row gets.
        twins: the scoring form's estimator (members swapped for compiled twins), which
            model-agnostic contributions predict with: the same outputs, faster.
    """

    def __init__(
        self, model: AutoMLModel, metadata: dict[str, Any], top: int = 3, twins: Any = None
    ) -> None:
        self.top = top
        schema = FeatureSchema.from_dict(metadata["features"])
        self.arrow = model.arrow(schema)
        self.columns = schema.names()
        self.parts = _parts(model.estimator)
        self.fast = [m for _, m, _ in _parts(twins if twins is not None else model.estimator)]
        self.groups = [_groups(owners(t), self.columns) for t in self.arrow.transforms]
        reference = metadata.get("decisions", {}).get(EXPLANATION_REFERENCE)
        self.means = None if reference is None else [np.asarray(m) for m in reference["means"]]

    @classmethod
    def load(cls, version_dir: Path, top: int, log: Logger, twins: Any = None) -> Explainer:
        """The explainer of the version in ``version_dir`` (model checksum verified); a
        version trained before explanations is explained against a zero reference, and
        the log says so."""
        from dbt_automl.registry import load_version

        model, metadata = load_version(version_dir)
        explainer = cls(model, metadata, top, twins)
        if explainer.needs_reference:
            name = metadata["model_name"]
            log.warning(
                f"{name} v{metadata['version']} has no recorded training mean (trained "
                "before explanations): its linear and model-agnostic members are explained "
                "against the standardised mean (0) and, for one-hot columns, an unseen "
                f"level. Fix: retrain it (`dbt build --select {name} "
                "--vars '{automl_retrain: true}'`)"
            )
        return explainer

    @property
    def needs_reference(self) -> bool:
        """Whether a member is explained against the training mean the version lacks."""
        return self.means is None and any(_native(m) is None for _, m, _ in self.parts)

    def contributions(self, data: pa.Table | pa.RecordBatch, raw: np.ndarray) -> Any:
        """(contributions (n, columns), baseline (n,)) of the raw predictions ``raw``:
        baseline + the row's contributions = its raw prediction (see the module)."""
        from dbt_automl.scoring._members import member_contributions

        matrices = [t.transform(data) for t in self.arrow.transforms]
        target = _target_class(raw)
        total = np.zeros((data.num_rows, len(self.columns)))
        baseline = np.zeros(data.num_rows)
        for (k, member, weight), fast in zip(self.parts, self.fast, strict=True):
            mean = self.means[k] if self.means is not None else np.zeros(matrices[k].shape[1])
            phi, base = member_contributions(
                member, matrices[k], target, mean, self.groups[k], fast
            )
            total += weight * phi
            baseline += weight * base
        return _calibrated(self.arrow.calibrator, total, baseline)

    def arrays(self, data: pa.RecordBatch, raw: np.ndarray) -> list[pa.Array]:
        """The :func:`explanation_fields` arrays of one batch (``top`` contributions)."""
        n = self.top
        total, baseline = self.contributions(data, raw)
        order = np.argsort(-np.abs(total), axis=1, kind="stable")
        names = pa.array(self.columns, type=pa.string())
        rows = np.arange(data.num_rows)
        out: list[pa.Array] = [pa.array(baseline, type=pa.float64())]
        for k in range(n):
            if k >= len(self.columns):  # fewer input columns than asked for
                out += [
                    pa.nulls(data.num_rows, pa.string()),
                    pa.nulls(data.num_rows, pa.float64()),
                ]
                continue
            out += [names.take(pa.array(order[:, k])), pa.array(total[rows, order[:, k]])]
        return out


def _native(member: Any) -> str | None:
    from dbt_automl.scoring._members import native_kind

    return native_kind(member)


def _groups(owned: list[str], columns: list[str]) -> list[np.ndarray]:
    """Encoded column positions of each input column, in ``columns`` order."""
    index = np.asarray([columns.index(name) for name in owned], dtype=np.int64)
    return [np.flatnonzero(index == c) for c in range(len(columns))]


def _target_class(raw: np.ndarray) -> np.ndarray | None:
    """The class whose score is explained: positive (binary), predicted (multiclass),
    None (regression)."""
    if raw.ndim == 1:
        return None
    if raw.shape[1] == 2:
        return np.ones(len(raw), dtype=np.int64)
    return np.asarray(raw.argmax(axis=1), dtype=np.int64)


def _calibrated(calibrator: Any, total: np.ndarray, baseline: np.ndarray) -> Any:
    """Contributions and baseline through a calibration linear in the log-odds."""
    if calibrator is None:
        return total, baseline
    if hasattr(calibrator, "temperature_"):  # softmax(log p / T): raw scores divided by T
        return total / calibrator.temperature_, baseline / calibrator.temperature_
    slope = float(calibrator.model_.coef_.ravel()[0])  # Platt: a * logit(p) + b
    return total * slope, baseline * slope + float(calibrator.model_.intercept_.ravel()[0])

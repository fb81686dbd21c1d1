"""AutoML under the scikit-learn contract, for notebooks and pipelines outside dbt."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.base import BaseEstimator
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from dbt_automl._log import get_logger
from dbt_automl.config import parse_config
from dbt_automl.errors import SchemaMismatchError
from dbt_automl.preprocess import to_frame

# meta.automl keys that are not estimator parameters: they name columns of a table, which
# fit(X, y) receives apart, or a registry, which an estimator has none of.
_TABLE_KEYS = ("target", "id_columns", "registry_path", "max_train_rows")

Data: TypeAlias = "pd.DataFrame | pa.Table | np.ndarray"


class AutoML(BaseEstimator):
    """The dbt-automl engine as a scikit-learn estimator: ``fit(X, y)``, ``predict``,
    ``predict_proba``; parameters are the ``meta.automl`` keys (README's reference).

    Learned state: ``model_`` (preprocessing + ensemble + decision rule), ``result_`` (the
    whole training run: trials, decisions, test metrics), ``task_``, ``classes_``,
    ``feature_names_in_``, ``n_features_in_``, ``test_metrics_``.

    Example::

        from sklearn.pipeline import make_pipeline
        model = dbt_automl.AutoML(time_budget_s=30, metric="roc_auc").fit(X, y)
        model.predict_proba(X_new)[:, 1]
    """

    def __init__(
        self,
        *,
        task: str | None = None,
        metric: str | None = None,
        time_budget_s: float = 60.0,
        max_trials: int | None = None,
        seed: int = 42,
        test_size: float = 0.2,
        families: Sequence[str] | None = None,
        positive_class: Any = None,
        n_jobs: int = 1,
        group_column: str | None = None,
        time_column: str | None = None,
        cv_folds: int | None = None,
        costs: Mapping[str, float] | None = None,
        ensemble: bool = True,
        calibrate: bool = True,
        feature_selection: bool = True,
        search_max_rows: int = 50_000,
        bagging: bool = False,
        refit_full: bool | str = "auto",
        max_predict_us_per_row: float | str | None = "auto",
        exclude: Sequence[str] | None = None,
        name: str = "model",
    ) -> None:
        self.task = task
        self.metric = metric
        self.time_budget_s = time_budget_s
        self.max_trials = max_trials
        self.seed = seed
        self.test_size = test_size
        self.families = families
        self.positive_class = positive_class
        self.n_jobs = n_jobs
        self.group_column = group_column
        self.time_column = time_column
        self.cv_folds = cv_folds
        self.costs = costs
        self.ensemble = ensemble
        self.calibrate = calibrate
        self.feature_selection = feature_selection
        self.search_max_rows = search_max_rows
        self.bagging = bagging
        self.refit_full = refit_full
        self.max_predict_us_per_row = max_predict_us_per_row
        self.exclude = exclude
        self.name = name

    def fit(self, X: Data, y: Any) -> AutoML:
        """Search, ensemble and fit within ``time_budget_s`` on features ``X`` and label ``y``.

        Rows whose label is missing are left out. Raises the errors ``dbt_automl.train``
        raises (:class:`~dbt_automl.ConfigError`, :class:`~dbt_automl.TrainingDataError`).
        """
        features = _table(X)
        target = _free_name(getattr(y, "name", None), features.column_names)
        labels = y if isinstance(y, pa.Array | pa.ChunkedArray) else pa.array(y, from_pandas=True)
        return self._fit_table(features.append_column(target, labels), target)

    def _fit_table(self, table: pa.Table, target: str) -> AutoML:
        """Fit on a table holding the features and the label column ``target``."""
        from dbt_automl.engine import train

        table = table.filter(pc.is_valid(table[target]))
        settings = {k: v for k, v in self.get_params().items() if k != "name"}
        cfg = parse_config({**settings, "target": target}, self.name)
        self.result_ = train(table, cfg, get_logger())
        self.model_ = self.result_.model
        self.task_ = self.result_.task.name
        if self.result_.target.classes is not None:
            self.classes_ = np.asarray(self.result_.target.classes, dtype=object)
        features = [c for c in table.column_names if c != target]
        self.feature_names_in_ = np.asarray(features, dtype=object)
        self.n_features_in_ = len(features)
        self.test_metrics_ = self.result_.test_metrics
        return self

    def _frame(self, X: Data) -> pd.DataFrame:
        check_is_fitted(self, "model_")
        table = _table(X)
        for column in self.result_.schema.names():
            if column not in table.column_names:
                raise SchemaMismatchError(
                    f"was used to train the model but is missing from X "
                    f"(it has {table.column_names})",
                    "pass the same columns as to fit",
                    model=self.name,
                    column=column,
                )
        return to_frame(table, self.result_.schema)

    def predict(self, X: Data) -> np.ndarray:
        """Predictions in the label's own values (classes, or numbers)."""
        frame = self._frame(X)
        return self.model_.predict(frame)

    def _is_classifier(self) -> bool:
        check_is_fitted(self, "model_")
        return bool(self.model_.task.is_classification)

    @available_if(_is_classifier)
    def predict_proba(self, X: Data) -> np.ndarray:
        """Class probabilities, columns in ``classes_`` order (classification only)."""
        frame = self._frame(X)
        return self.model_.predict_raw(frame)

    def score(self, X: Data, y: Any) -> float:
        """scikit-learn's convention: accuracy for classifiers, R² for regressors."""
        frame = self._frame(X)
        raw = self.model_.predict_raw(frame)
        task, classes = self.model_.task, self.result_.target.classes
        metric = task.metrics[task.estimator_score]
        truth = np.asarray(y)
        if classes is not None:
            lookup = {c: i for i, c in enumerate(classes)}
            truth = np.asarray([lookup.get(v, -1) for v in truth.tolist()])
        return float(metric.fn(truth, raw, self.model_.threshold or 0.5))


def _table(X: Data) -> pa.Table:
    if isinstance(X, pa.Table):
        return X
    if isinstance(X, np.ndarray):
        X = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    return pa.Table.from_pandas(X, preserve_index=False)


def _free_name(name: Any, taken: list[str]) -> str:
    """The label's column name: its own (a named Series), else ``target``, never a feature's."""
    chosen = str(name) if isinstance(name, str) and name else "target"
    while chosen in taken:
        chosen += "_"
    return chosen


def fit(data: pd.DataFrame | pa.Table, settings: Mapping[str, Any], name: str = "model") -> AutoML:
    """Train with the settings a model's ``meta.automl`` would hold, without dbt.

    ``data`` holds the features, the ``target`` column and any ``id_columns``.

    Example::

        fitted = dbt_automl.fit(frame, {"target": "churned", "time_budget_s": 30})
        fitted.predict(new_rows)
    """
    cfg = parse_config(settings, name)  # validates every key before the table is touched
    table = (
        data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
    )
    params = {k: v for k, v in settings.items() if k not in _TABLE_KEYS}
    return AutoML(**params, name=name)._fit_table(
        table.drop_columns(list(cfg.id_columns)), cfg.target
    )

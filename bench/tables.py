"""Real tables that ship inside installed packages, and the one fixed split every system gets.

Sources: scikit-learn's bundled loaders and the CSV files inside ISLP (``pip install --no-deps
ISLP``). Nothing is downloaded at run time. Three ISLP tables are simulated by the book's
authors (Default, Carseats, Credit); :attr:`Dataset.simulated` marks them and the report
says so.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn import datasets as skd
from sklearn.model_selection import train_test_split

TEST_SIZE = 0.25
SPLIT_SEED = 0
METRIC = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}


@dataclass(frozen=True)
class Dataset:
    """One benchmark table: where it comes from, its label and its task kind."""

    name: str
    source: str
    kind: str  # binary | multiclass | regression
    target: str
    load: Callable[[], pd.DataFrame]
    positive_class: str | None = None
    simulated: bool = False
    note: str = ""

    @property
    def metric(self) -> str:
        """The metric every system optimises and is scored on."""
        return METRIC[self.kind]


def _sklearn(loader: Callable[..., Any], target: str, labels: bool) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        bunch = loader(as_frame=True)
        frame = bunch.frame.rename(columns={"target": target})
        if labels:  # class names, not codes, so every system sees the same string labels
            names = [str(n) for n in bunch.target_names]
            frame[target] = [names[int(i)] for i in frame[target]]
        return frame

    return load


def _islp_path(file_name: str) -> Path:
    return Path(str(importlib.resources.files("ISLP") / "data" / file_name))


def _islp(file_name: str, drop: tuple[str, ...] = ()) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        return pd.read_csv(_islp_path(file_name)).drop(columns=list(drop))

    return load


def _auto() -> pd.DataFrame:
    # Auto.data is the raw file: horsepower is '?' on 5 cars (Auto.csv drops those rows), so
    # this table keeps real missing values in a feature. `name` is a near-unique row label.
    frame = pd.read_csv(_islp_path("Auto.data"), sep=r"\s+", na_values="?")
    frame["origin"] = frame["origin"].map({1: "american", 2: "european", 3: "japanese"})
    return frame.drop(columns=["name"])


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "breast_cancer",
            "sklearn",
            "binary",
            "diagnosis",
            _sklearn(skd.load_breast_cancer, "diagnosis", labels=True),
            positive_class="malignant",
        ),
        Dataset(
            "caravan",
            "ISLP",
            "binary",
            "Purchase",
            _islp("Caravan.csv"),
            positive_class="Yes",
            note="imbalanced: 6% positive",
        ),
        Dataset(
            "default",
            "ISLP",
            "binary",
            "default",
            _islp("Default.csv"),
            positive_class="Yes",
            simulated=True,
            note="imbalanced: 3% positive; categorical",
        ),
        Dataset(
            "oj",
            "ISLP",
            "binary",
            "Purchase",
            _islp("OJ.csv"),
            positive_class="MM",
            note="categorical (Store7)",
        ),
        Dataset(
            "wine",
            "sklearn",
            "multiclass",
            "cultivar",
            _sklearn(skd.load_wine, "cultivar", labels=True),
            note="3 classes",
        ),
        Dataset(
            "digits",
            "sklearn",
            "multiclass",
            "digit",
            _sklearn(skd.load_digits, "digit", labels=True),
            note="10 classes, 64 pixel features",
        ),
        Dataset(
            "diabetes",
            "sklearn",
            "regression",
            "progression",
            _sklearn(skd.load_diabetes, "progression", labels=False),
        ),
        Dataset(
            "hitters",
            "ISLP",
            "regression",
            "Salary",
            _islp("Hitters.csv"),
            note="59 rows without Salary dropped; categoricals",
        ),
        Dataset(
            "auto",
            "ISLP",
            "regression",
            "mpg",
            _auto,
            note="raw Auto.data: horsepower missing on 5 rows; categorical origin",
        ),
        Dataset(
            "carseats",
            "ISLP",
            "regression",
            "Sales",
            _islp("Carseats.csv"),
            simulated=True,
            note="categoricals",
        ),
        Dataset(
            "credit",
            "ISLP",
            "regression",
            "Balance",
            _islp("Credit.csv", drop=("ID",)),
            simulated=True,
            note="categoricals; ID dropped",
        ),
        Dataset(
            "wage",
            "ISLP",
            "regression",
            "wage",
            _islp("Wage.csv", drop=("logwage",)),
            note="categoricals; logwage (the label's log) dropped",
        ),
        Dataset(
            "bikeshare",
            "ISLP",
            "regression",
            "bikers",
            _islp("Bikeshare.csv", drop=("casual", "registered")),
            note="casual + registered = label, dropped; categoricals",
        ),
    )
}


@dataclass(frozen=True)
class Split:
    """The train and test rows of one table, plus what the report says about the table."""

    dataset: Dataset
    train: pd.DataFrame
    test: pd.DataFrame

    @property
    def classes(self) -> list[str] | None:
        """Sorted class labels (classification); prediction columns come in this order."""
        if self.dataset.kind == "regression":
            return None
        return sorted(self.train[self.dataset.target].unique().tolist())

    def describe(self) -> dict[str, Any]:
        """Rows, features, categorical and missing counts, for the report's table list."""
        features = self.train.drop(columns=[self.dataset.target])
        both = pd.concat([features, self.test.drop(columns=[self.dataset.target])])
        return {
            "rows_train": len(self.train),
            "rows_test": len(self.test),
            "features": features.shape[1],
            "categorical": sum(not pd.api.types.is_numeric_dtype(t) for t in features.dtypes),
            "missing_cells": int(both.isna().sum().sum()),
        }


def _normalise(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    """Strings as plain object columns (the side venvs run an older pandas); no NA labels."""
    frame = frame.dropna(subset=[target]).reset_index(drop=True)
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].astype(object)
    return frame


def split(dataset: Dataset) -> Split:
    """The fixed 75/25 split, seeded, stratified for classification."""
    frame = _normalise(dataset.load(), dataset.target)
    stratify = None if dataset.kind == "regression" else frame[dataset.target]
    train, test = train_test_split(
        frame, test_size=TEST_SIZE, random_state=SPLIT_SEED, stratify=stratify
    )
    return Split(dataset, train.reset_index(drop=True), test.reset_index(drop=True))


def write_split(data: Split, folder: Path) -> tuple[Path, Path]:
    """Write train and test parquet files that every system's subprocess reads."""
    folder.mkdir(parents=True, exist_ok=True)
    train_path, test_path = folder / "train.parquet", folder / "test.parquet"
    data.train.to_parquet(train_path, index=False)
    data.test.to_parquet(test_path, index=False)
    return train_path, test_path

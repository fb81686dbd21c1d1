"""SQL functions: predictions of a model's current version from any DuckDB query.

:func:`register_functions` creates them on a connection; the dbt-duckdb plugin
(:mod:`dbt_automl.plugin`) does so on every connection dbt opens, and the
``dbt_automl.predict`` macro writes the calls:

- ``dbt_automl_predict(model_name, output, features) -> DOUBLE``: ``'probability'`` (binary:
  the positive class) or ``'prediction'`` (regression);
- ``dbt_automl_predict_label(model_name, features) -> VARCHAR``: the predicted class as text
  (``'true'``, ``'gold'``, ``'3'``), which the macro casts back to the target's type;
- ``dbt_automl_predict_probabilities(model_name, features) -> MAP(VARCHAR, DOUBLE)``;
- ``dbt_automl_model_info(model_name) -> VARCHAR``: JSON about the current version (the
  macro reads its feature list).

Features arrive as one STRUCT, ``struct_pack(amount := t.amount, ...)`` or a whole row
``t``. A DuckDB Python function cannot declare varargs, but a parameter declared with no
type binds as ANY: the struct then reaches Python as an Arrow StructArray whose children
keep their names and their own types, just as the python scoring model reads the columns.
So nothing is packed into ``DOUBLE[]`` / ``VARCHAR[]`` and cast back, no precision is lost,
and features are matched by name (extra fields are ignored, as extra columns are).

A NULL field is a missing value, scored as the python scoring model scores it (imputed,
with its missing indicator, or the category's missing level). A NULL struct or model name
gives NULL: DuckDB's null in, null out. Each call scores one DuckDB chunk (about 2,048
rows) as whole Arrow arrays through the per-process cache of current versions
(:data:`SCORERS`), and logs the version it uses once per process and version.
"""

from __future__ import annotations

import inspect
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from dbt_automl._log import get_logger
from dbt_automl.errors import DbtAutomlError, RegistryError, SchemaMismatchError

if TYPE_CHECKING:
    import duckdb

    from dbt_automl.scoring._scorer import Scorer

PREDICT = "dbt_automl_predict"
PREDICT_LABEL = "dbt_automl_predict_label"
PREDICT_PROBABILITIES = "dbt_automl_predict_probabilities"
MODEL_INFO = "dbt_automl_model_info"
FUNCTIONS = (PREDICT, PREDICT_LABEL, PREDICT_PROBABILITIES, MODEL_INFO)
_MACRO_FIX = "the dbt_automl.predict macro writes the right call"

_reported: set[tuple[str, str, int]] = set()
_reported_lock = threading.Lock()


@dataclass(frozen=True)
class SqlFunctions:
    """The functions of one connection, scoring with models of one registry.

    ``registry_path`` None means $DBT_AUTOML_REGISTRY_PATH, else lake/models, read at each
    call (as ``train`` reads it), relative paths against the working directory.
    """

    registry_path: str | None = None

    def root(self) -> Path:
        """The registry directory."""
        from dbt_automl.registry import registry_root

        return registry_root(self.registry_path)

    def predict(self, model_name: Any, output: Any, features: Any) -> pa.Array:
        """``dbt_automl_predict``: a DOUBLE output (``probability`` or a regression's
        ``prediction``)."""
        wanted = _constant(output, "output", PREDICT)
        return self._score(model_name, features, PREDICT, wanted, pa.types.is_float64)

    def predict_label(self, model_name: Any, features: Any) -> pa.Array:
        """``dbt_automl_predict_label``: a classifier's prediction, as text."""
        label = self._score(model_name, features, PREDICT_LABEL, "prediction", _is_label)
        return pc.cast(label, pa.string())

    def predict_probabilities(self, model_name: Any, features: Any) -> pa.Array:
        """``dbt_automl_predict_probabilities``: class -> probability, one map a row."""
        return self._score(model_name, features, PREDICT_PROBABILITIES, "probabilities", _is_map)

    def model_info(self, model_name: str) -> str:
        """``dbt_automl_model_info``: the current version's task, target, outputs and
        features (in model order) as JSON; ``version`` is null when there is none."""
        from dbt_automl.registry import Registry

        root = self.root()
        current = Registry(root).champion(model_name)
        info: dict[str, Any] = {"model_name": model_name, "version": None, "registry": str(root)}
        if current is not None:
            meta = current.metadata
            info |= {
                "version": current.version,
                "path": str(current.path),
                "task": meta["task"],
                "target": meta["target"],
                "target_type": meta["target_type"],
                "outputs": [f.name for f in _prediction_fields(meta)],
                "features": [c["name"] for c in meta["features"]["columns"]],
            }
        return json.dumps(info)

    def _score(
        self,
        model_name: Any,
        features: Any,
        function: str,
        output: str,
        fits: Callable[[pa.DataType], bool],
    ) -> pa.Array:
        scorer = self._scorer(_constant(model_name, "model_name", function))
        fields = _prediction_fields(scorer.metadata)
        position = _output_position(scorer, fields, output, function, fits)
        table = _feature_table(scorer, features, function)
        raw = scorer.raw(table)
        # The python scoring model builds its columns with the same call: same numbers.
        return scorer.prediction_arrays(raw, fields)[position]

    def _scorer(self, name: str) -> Scorer:
        from dbt_automl.registry import REGISTRY_ENV
        from dbt_automl.scoring._scorer import SCORERS

        root = self.root()
        if not (root / name).is_dir():
            known = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
            raise RegistryError(
                f"no model of that name in the registry {root} (it holds "
                f"{', '.join(known) or 'no model'})",
                f"check the name, or train it first (`dbt build --select {name}`); the SQL "
                f"functions read the plugin's registry_path (profiles.yml), else "
                f"${REGISTRY_ENV}, else lake/models",
                model=name,
            )
        scorer = SCORERS.current(name, root)
        _report(scorer, root)
        return scorer


def _combined(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _constant(values: pa.Array | pa.ChunkedArray, what: str, function: str) -> str:
    """The one value of an argument that must not vary by row (nulls never get here)."""
    distinct = pc.unique(_combined(values))
    if len(distinct) != 1:
        raise DbtAutomlError(
            f"{function}: `{what}` must be the same on every row, got {len(distinct)} values "
            f"({', '.join(map(str, distinct.to_pylist()[:5]))})",
            f"pass it as a literal string; {_MACRO_FIX}",
        )
    return str(distinct[0].as_py())


def _is_label(arrow_type: pa.DataType) -> bool:
    return not (pa.types.is_map(arrow_type) or pa.types.is_floating(arrow_type))


def _is_map(arrow_type: pa.DataType) -> bool:
    return pa.types.is_map(arrow_type)


def _prediction_fields(metadata: dict[str, Any]) -> list[pa.Field]:
    """The task's prediction columns, the label typed as the target was (else text)."""
    from dbt_automl.tasks import task_named

    try:
        label_type = pa.type_for_alias(metadata["target_arrow_type"])
    except ValueError:
        label_type = pa.string()
    return task_named(metadata["task"]).prediction_fields(label_type)


def _output_position(
    scorer: Scorer,
    fields: list[pa.Field],
    output: str,
    function: str,
    fits: Callable[[pa.DataType], bool],
) -> int:
    """Where ``output`` is among the task's prediction columns; refuses one the model does
    not produce, or one this function cannot return."""
    names = [f.name for f in fields]
    model = f"{scorer.name} v{scorer.version} ({scorer.metadata['task']})"
    if output not in names:
        raise DbtAutomlError(
            f"{function}: model {model} has no output {output!r}; its outputs are {names}",
            f"ask for one of those; {_MACRO_FIX}: "
            f"{{{{ dbt_automl.predict('{scorer.name}', output='{names[0]}') }}}}",
            model=scorer.name,
        )
    if not fits(fields[names.index(output)].type):
        fitting = [f.name for f in fields if fits(f.type)] or ["none of them"]
        raise DbtAutomlError(
            f"{function} cannot return {output!r} of model {model}; of this model's outputs "
            f"it returns {' or '.join(fitting)}",
            f"call {{{{ dbt_automl.predict('{scorer.name}', output='{output}') }}}}, which "
            "picks the function that returns it",
            model=scorer.name,
        )
    return names.index(output)


def _feature_table(
    scorer: Scorer, features: pa.Array | pa.ChunkedArray, function: str
) -> pa.Table:
    """The model's feature columns, by name, from the struct passed to ``function``.

    Raises:
        SchemaMismatchError: not a struct, a feature missing, or a feature's kind changed.
    """
    from dbt_automl.scoring._checks import check_rows

    array = _combined(features)
    wanted = scorer.features.names()
    model = f"{scorer.name} v{scorer.version}"
    if not pa.types.is_struct(array.type):
        raise SchemaMismatchError(
            f"{function} takes the {len(wanted)} features of {model} as one STRUCT of named "
            f"columns, got {array.type}",
            f"pass struct_pack(<feature> := <column>, ...) or a row alias; {_MACRO_FIX}",
            model=scorer.name,
        )
    present = [array.type.field(i).name for i in range(array.type.num_fields)]
    missing = [name for name in wanted if name not in present]
    if missing:
        raise SchemaMismatchError(
            f"{function} got a STRUCT of {len(present)} fields without {len(missing)} of the "
            f"{len(wanted)} features of {model}: missing {missing} (its features, in order: "
            f"{wanted})",
            f"pass every feature by its name, or retrain {scorer.name} on the columns you have; "
            f"{_MACRO_FIX} from the current version",
            model=scorer.name,
        )
    table = pa.Table.from_arrays(array.flatten(), names=present).select(wanted)
    # Same refusal as the python scoring model for a column whose kind changed.
    check_rows({**scorer.metadata, "id_columns": []}, table.schema, f"{scorer.name} ({function})")
    return table


def _report(scorer: Scorer, root: Path) -> None:
    """Log the version used, once per process, registry and version."""
    key = (str(root), scorer.name, scorer.version)
    with _reported_lock:
        if key in _reported:
            return
        _reported.add(key)
    get_logger().info(
        f"{scorer.name}: SQL functions score with v{scorer.version}, the newest version in "
        f"the registry {root}"
    )


def _arrow_udf(method: Callable[..., pa.Array], parameters: list[str]) -> Callable[..., pa.Array]:
    """``method`` with a signature DuckDB reads: VARCHAR names, ``features`` left as ANY."""
    from duckdb.sqltypes import VARCHAR

    def call(*args: Any) -> pa.Array:
        return method(*args)

    kind, empty = inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.empty
    call.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(p, kind, annotation=empty if p == "features" else VARCHAR)
            for p in parameters
        ]
    )
    return call


def register_functions(conn: duckdb.DuckDBPyConnection, registry_path: str | None = None) -> None:
    """Create (or replace) the SQL functions on ``conn``.

    Example::

        con = duckdb.connect("warehouse.duckdb")
        register_functions(con, "lake/models")
        con.sql("select dbt_automl_predict('fraud_model', 'probability', t) "
                "from transaction_features as t")
    """
    import duckdb
    from duckdb.func import ARROW
    from duckdb.sqltypes import DOUBLE, VARCHAR, DuckDBPyType

    functions = SqlFunctions(registry_path)
    arrow: list[tuple[str, Callable[..., pa.Array], list[str], DuckDBPyType]] = [
        (PREDICT, functions.predict, ["model_name", "output", "features"], DOUBLE),
        (PREDICT_LABEL, functions.predict_label, ["model_name", "features"], VARCHAR),
        (
            PREDICT_PROBABILITIES,
            functions.predict_probabilities,
            ["model_name", "features"],
            DuckDBPyType("MAP(VARCHAR, DOUBLE)"),
        ),
    ]
    for name in FUNCTIONS:
        try:
            conn.remove_function(name)
        except duckdb.InvalidInputException:  # not created on this connection yet
            pass
    for name, method, parameters, returns in arrow:
        udf = _arrow_udf(method, parameters)
        conn.create_function(name, udf, None, returns, type=ARROW, side_effects=False)
    conn.create_function(MODEL_INFO, functions.model_info, [VARCHAR], VARCHAR)

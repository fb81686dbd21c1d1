"""One exception tree for everything dbt-automl refuses to do, and one message builder.

Every message reads the same way, so a user scanning a dbt log finds who complains, about
what, and what to do::

    dbt-automl: model churn_model, column 'tenure' (meta.automl.time_column): not in the
    training table. Fix: add it to the feature model or correct time_column
"""

from __future__ import annotations

__all__ = [
    "ChecksumMismatchError",
    "ConfigError",
    "DbtAutomlError",
    "RegistryError",
    "SchemaMismatchError",
    "TrainingDataError",
    "problem",
]


def problem(
    message: str,
    fix: str,
    *,
    model: str | None = None,
    column: str | None = None,
    key: str | None = None,
) -> str:
    """The one way dbt-automl words a refusal: who, about what, what went wrong, the fix.

    Args:
        message: what is wrong, with the value seen (no trailing period).
        fix: what the user should do.
        model: the dbt model (trained model, scores table) the problem belongs to.
        column: the column concerned, if any.
        key: the ``meta.automl`` key concerned, if any.

    Example::

        >>> problem("must be > 0, got -5", "use 60", model="m", key="time_budget_s")
        'dbt-automl: model m, meta.automl.time_budget_s: must be > 0, got -5. Fix: use 60'
    """
    where = []
    if model:
        where.append(f"model {model}")
    if column and key:
        where.append(f"column {column!r} (meta.automl.{key})")
    elif column:
        where.append(f"column {column!r}")
    elif key:
        where.append(f"meta.automl.{key}")
    subject = ", ".join(where)
    return f"dbt-automl: {subject + ': ' if subject else ''}{message}. Fix: {fix}"


class DbtAutomlError(Exception):
    """Root of every error raised by dbt-automl; its message names the model and the fix.

    Build one with the parts of :func:`problem`; they stay available as attributes
    (``model``, ``column``, ``key``, ``fix``) for programs that catch it.
    """

    def __init__(
        self,
        message: str,
        fix: str | None = None,
        *,
        model: str | None = None,
        column: str | None = None,
        key: str | None = None,
    ) -> None:
        self.model, self.column, self.key, self.fix = model, column, key, fix
        text = (
            message if fix is None else problem(message, fix, model=model, column=column, key=key)
        )
        super().__init__(text)


class ConfigError(DbtAutomlError):
    """A ``meta.automl`` setting is missing, unknown or out of range."""


class TrainingDataError(DbtAutomlError):
    """The training table cannot produce a model (no rows, no target, a single class...)."""


class SchemaMismatchError(DbtAutomlError):
    """Rows to score do not have the columns or types the model was trained on."""


class RegistryError(DbtAutomlError):
    """A model version on disk is missing, incomplete or unreadable."""


class ChecksumMismatchError(RegistryError):
    """A model file's SHA-256 does not match its metadata; it is never loaded."""

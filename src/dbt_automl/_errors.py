"""One exception hierarchy for everything dbt-automl refuses to do."""

from __future__ import annotations

__all__ = [
    "DbtAutomlError",
    "ConfigError",
    "TrainingDataError",
    "SchemaMismatchError",
    "RegistryError",
    "ChecksumMismatchError",
]


class DbtAutomlError(Exception):
    """Root of every error raised by dbt-automl; its message names the model and the fix."""


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

"""The model registry: versions on disk (model file + metadata + SHA-256), written atomically,
never loaded when the checksum does not match."""

from __future__ import annotations

from dbt_automl.registry._lifecycle import ACTIONS, Event, Serving, serving
from dbt_automl.registry._metadata import build_metadata, config_hash, library_versions
from dbt_automl.registry._store import (
    FORMAT_VERSION,
    METADATA_FILE,
    MODEL_FILE,
    REGISTRY_ENV,
    ModelVersion,
    Registry,
    load_version,
    locate_version,
    read_extra,
    read_metadata,
    registry_root,
    sha256_of,
)

__all__ = [
    "ACTIONS",
    "Event",
    "Serving",
    "FORMAT_VERSION",
    "METADATA_FILE",
    "MODEL_FILE",
    "REGISTRY_ENV",
    "ModelVersion",
    "Registry",
    "build_metadata",
    "config_hash",
    "library_versions",
    "load_version",
    "locate_version",
    "read_extra",
    "read_metadata",
    "registry_root",
    "serving",
    "sha256_of",
]

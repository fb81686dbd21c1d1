"""Model versions on disk: artifact + metadata + checksum, written atomically.

Layout: ``<root>/<model_name>/v0001/{model.joblib, metadata.json}``. A version directory is
assembled under a temporary name and renamed into place, so a reader sees a whole version
or none; an earlier version is never touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbt_automl._model import AutoMLModel
from dbt_automl.errors import ChecksumMismatchError, RegistryError
from dbt_automl.registry._lifecycle import (
    Event,
    Serving,
    append_event,
    previous_champion,
    read_log,
    serving,
)

REGISTRY_ENV = "DBT_AUTOML_REGISTRY_PATH"
MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
# 2: the task is recorded as `task` (binary | multiclass | regression; format 1 had `task`
# classification | regression and `kind`), and model files pickle the engine's subpackages.
FORMAT_VERSION = 2


def registry_root(override: str | None = None) -> Path:
    """The registry: config override, else $DBT_AUTOML_REGISTRY_PATH, else lake/models."""
    return Path(override or os.environ.get(REGISTRY_ENV) or "lake/models").resolve()


def locate_version(artifact_path: str, model_name: str, version: int) -> Path:
    """The directory of a version recorded in a trained-model table.

    The table records the model file's absolute path; when that is gone (the project was
    moved or restored elsewhere, e.g. a CI cache) the same version is looked up under the
    current registry root, where a moved project keeps it.
    """
    recorded = Path(artifact_path).parent
    if recorded.is_dir():
        return recorded
    return registry_root() / model_name / f"v{version:04d}"


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class ModelVersion:
    """One registered version: where it lives and what its metadata says."""

    model_name: str
    version: int
    path: Path
    metadata: dict[str, Any]

    @property
    def artifact(self) -> Path:
        """The model file."""
        return self.path / MODEL_FILE


class Registry:
    """Versions of every model under one root directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def versions(self, model_name: str) -> list[ModelVersion]:
        """Every complete version of a model, oldest first (temporary dirs are ignored)."""
        model_dir = self.root / model_name
        if not model_dir.is_dir():
            return []
        found = []
        for child in sorted(model_dir.glob("v[0-9]*")):
            meta_path = child / METADATA_FILE
            if meta_path.is_file():
                metadata = read_metadata(meta_path)
                found.append(ModelVersion(model_name, int(metadata["version"]), child, metadata))
        return sorted(found, key=lambda v: v.version)

    def current(self, model_name: str) -> ModelVersion | None:
        """The newest version (champion or not), or None when the model was never trained."""
        versions = self.versions(model_name)
        return versions[-1] if versions else None

    def version(self, model_name: str, number: int) -> ModelVersion:
        """One version by number.

        Raises:
            RegistryError: the model has no such version.
        """
        for found in self.versions(model_name):
            if found.version == number:
                return found
        raise RegistryError(
            f"{model_name} has no version {number} under {self.root}",
            "list its versions with `dbt-automl models show " + model_name + "`",
            model=model_name,
        )

    def history(self, model_name: str) -> list[dict[str, Any]]:
        """The model's lifecycle events (promotions, rejections, rollbacks, pins), oldest
        first."""
        return read_log(self.root / model_name)

    def serving(self, model_name: str) -> Serving:
        """The champion, the pin and every version's status, from the lifecycle log."""
        numbers = [v.version for v in self.versions(model_name)]
        return serving(numbers, self.history(model_name))

    def champion(self, model_name: str) -> ModelVersion | None:
        """The version scoring uses (the pin, else the champion), or None."""
        number = self.serving(model_name).version
        return None if number is None else self.version(model_name, number)

    def status(self, model_name: str) -> dict[int, str]:
        """Version -> champion | pinned | challenger | rejected | retired."""
        return self.serving(model_name).status

    def record(self, model_name: str, event: Event) -> dict[str, Any]:
        """Append a lifecycle event for an existing version and return it as logged.

        Raises:
            RegistryError: the version does not exist.
        """
        self.version(model_name, event.version)
        return append_event(self.root / model_name, event)

    def adopt(self, model_name: str) -> None:
        """Start the lifecycle log of a model registered before it existed: its newest
        version, which was serving, is recorded as the champion. A no-op otherwise."""
        versions = self.versions(model_name)
        if versions and not self.history(model_name):
            reason = "newest version when the lifecycle log began (it was serving)"
            append_event(self.root / model_name, Event(versions[-1].version, "promoted", reason))

    def rollback(self, model_name: str, reason: str) -> dict[str, Any]:
        """Make the previous champion the champion again.

        Raises:
            RegistryError: there is no earlier champion to return to.
        """
        self.adopt(model_name)
        events = self.history(model_name)
        target = previous_champion(events)
        if target is None:
            raise RegistryError(
                f"{model_name} has no earlier champion to roll back to",
                f"promote a version instead: `dbt-automl models promote {model_name} <version>`",
                model=model_name,
            )
        return self.record(model_name, Event(target, "rolled_back", reason))

    def register(
        self,
        model_name: str,
        model: AutoMLModel,
        metadata: dict[str, Any],
        extras: dict[str, bytes] | None = None,
    ) -> ModelVersion:
        """Write a new version atomically and return it.

        The model file (and any ``extras``: file name -> bytes, e.g. the training rows'
        keys) is written and hashed inside a temporary directory; metadata (with the hashes)
        is written last; the directory is then renamed to ``vNNNN``.
        """
        import joblib

        model_dir = self.root / model_name
        model_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=model_dir))
        try:
            joblib.dump(model, tmp / MODEL_FILE, compress=3)
            artifact = tmp / MODEL_FILE
            files = {}
            for name, content in (extras or {}).items():
                (tmp / name).write_bytes(content)
                files[name] = sha256_of(tmp / name)
            for _ in range(100):
                version = self._next_version(model_name)
                final = model_dir / f"v{version:04d}"
                meta = {
                    **metadata,
                    "format_version": FORMAT_VERSION,
                    "model_name": model_name,
                    "version": version,
                    "artifact": {
                        "file": MODEL_FILE,
                        "path": str(final / MODEL_FILE),
                        "sha256": sha256_of(artifact),
                        "bytes": artifact.stat().st_size,
                        "files": files,
                    },
                }
                _write_json(tmp / METADATA_FILE, meta)
                try:
                    os.rename(tmp, final)
                except OSError:  # another process took this number; take the next
                    continue
                return ModelVersion(model_name, version, final, meta)
            raise RegistryError(
                f"could not allocate a version directory in {model_dir} after 100 tries",
                "check that no other process keeps creating versions there",
                model=model_name,
            )
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _next_version(self, model_name: str) -> int:
        existing = [int(p.name[1:]) for p in (self.root / model_name).glob("v[0-9]*")]
        return max(existing, default=0) + 1


def read_extra(version: ModelVersion, name: str) -> bytes | None:
    """A file registered with a version (``extras``), checksum verified; None when the
    version has no such file (older versions).

    Raises:
        ChecksumMismatchError: the file changed since it was registered.
    """
    expected = version.metadata["artifact"].get("files", {}).get(name)
    path = version.path / name
    if expected is None or not path.is_file():
        return None
    if sha256_of(path) != expected:
        raise ChecksumMismatchError(
            f"{path} does not match the SHA-256 in the metadata of {version.model_name} "
            f"v{version.version}; refusing to read it",
            "retrain (`dbt build --select <model>`) or restore the original file",
            model=version.model_name,
        )
    return path.read_bytes()


def load_version(path: Path) -> tuple[AutoMLModel, dict[str, Any]]:
    """Load a version directory, refusing a model file whose SHA-256 is not in its metadata.

    Raises:
        RegistryError: the directory or a file is missing, or an older release wrote it.
        ChecksumMismatchError: the model file changed since it was registered.
    """
    import joblib

    meta_path, artifact = path / METADATA_FILE, path / MODEL_FILE
    if not meta_path.is_file() or not artifact.is_file():
        raise RegistryError(
            f"model version {path} is incomplete (need {METADATA_FILE} and {MODEL_FILE})",
            "retrain with `dbt build --select <model>`",
        )
    metadata = read_metadata(meta_path)
    name = f"{metadata['model_name']} v{metadata['version']}"
    if metadata["format_version"] != FORMAT_VERSION:
        raise RegistryError(
            f"{name} was written in registry format {metadata['format_version']} by an older "
            f"dbt-automl, whose model files this release ({FORMAT_VERSION}) cannot load",
            f"retrain it: `dbt build --select {metadata['model_name']}`",
            model=metadata["model_name"],
        )
    expected, actual = metadata["artifact"]["sha256"], sha256_of(artifact)
    if expected != actual:
        raise ChecksumMismatchError(
            f"{artifact} has SHA-256 {actual} but the metadata of {name} says {expected}; "
            "refusing to load it",
            "retrain (`dbt build --select <model>`) or restore the original file",
            model=metadata["model_name"],
        )
    return joblib.load(artifact), metadata


def read_metadata(path: Path) -> dict[str, Any]:
    """A version's metadata, in the current format whatever format wrote it.

    Format 1 recorded ``task`` (classification | regression) and ``kind``; the task is now
    ``kind``'s value alone, so model tables keep listing old versions.
    """
    metadata: dict[str, Any] = json.loads(path.read_text())
    if metadata.get("format_version", 1) == 1 and "kind" in metadata:
        metadata["task"] = metadata.pop("kind")
    metadata.setdefault("format_version", 1)
    return metadata


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str))
    os.replace(tmp, path)

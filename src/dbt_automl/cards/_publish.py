"""Render a version's card into the registry and publish the serving version's card for
dbt docs, both atomically and both skipped when nothing the card shows has changed.

A card is written into a temporary directory beside its destination and renamed into
place, so a reader (``dbt docs generate`` copying ``assets/``) sees the previous card or
the new one, never half of one, and a failure mid-render leaves the previous card as it
was. In a registry version, ``card/`` is the only thing ever added after registration.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dbt_automl.cards._card import STAMP_FILE, CardInputs, read_stamp, write_card
from dbt_automl.cards._lifecycle import Lifecycle, lifecycle
from dbt_automl.cards._paths import CARD_DIR, CARDS_ENV, cards_root, dbt_flag, manifest_path
from dbt_automl.cards._thresholds import model_tests
from dbt_automl.errors import RegistryError
from dbt_automl.registry import ModelVersion, Registry


def render_card(
    registry: Registry,
    model_name: str,
    version: int | None = None,
    *,
    drift: Sequence[Any] | None = None,
    project: Path | None = None,
    force: bool = False,
) -> Path:
    """Write the card of one version into ``<registry>/<model>/vNNNN/card/``; return that
    directory.

    Args:
        registry: the registry holding the model.
        model_name: the trained model (dbt model name).
        version: the version; default the one scoring uses (the champion).
        drift: one row per feature, drawn and listed when given: rows of a drift table
            (mappings with ``feature`` and ``psi``) or ``dbt_automl.drift.compare``'s
            :class:`~dbt_automl.drift.FeatureDrift` objects.
        project: the dbt project whose ``target/manifest.json`` holds the model's tests
            (default: the running dbt invocation's project, else the working directory).
        force: render even when the card on disk shows the same things.

    Raises:
        RegistryError: the model or the version does not exist.
    """
    life = lifecycle(registry, model_name)
    chosen = _version(registry, model_name, version, life)
    inputs = _inputs(life, model_name, drift, project)
    return _render(chosen, inputs, force)


def publish_card(
    registry: Registry,
    model_name: str,
    cards_path: Path | None = None,
    *,
    version: int | None = None,
    drift: Sequence[Any] | None = None,
    project: Path | None = None,
) -> Path:
    """Render the card of the version scoring uses (or of ``version``) and copy it to
    ``<cards>/<model>/``, where the dbt docs page of the model links it; return the
    published ``card.html``.

    ``cards_path`` defaults to $DBT_AUTOML_CARDS_PATH, else ``<project>/assets/cards``
    (the project's ``asset-paths``, copied to ``target/assets/`` by ``dbt docs
    generate``). The newest version's card is rendered too when it is not the one
    serving (a rejected challenger), so its card explains why. Cheap when nothing changed:
    cards are re-rendered only when the status, history, tests or drift they show change.

    Raises:
        RegistryError: the model has no version.
    """
    life = lifecycle(registry, model_name)
    chosen = _version(registry, model_name, version, life)
    inputs = _inputs(life, model_name, drift, project)
    card_dir = _render(chosen, inputs, force=False)
    newest = registry.versions(model_name)[-1]
    if newest.version != chosen.version:
        _render(newest, inputs, force=False)
    dest = (cards_path or cards_root(project)) / model_name
    if read_stamp(dest).get("key") != read_stamp(card_dir).get("key"):
        dest.parent.mkdir(parents=True, exist_ok=True)
        _atomic_dir(dest, lambda tmp: _copy_files(card_dir, tmp))
    return dest / "card.html"


def publish_after_train(registry: Registry, model_name: str) -> None:
    """Publish a model's card at the end of training or reuse, inside ``dbt build``.

    Does nothing outside a dbt run unless $DBT_AUTOML_CARDS_PATH says where cards go (a
    notebook or a unit test calling ``train`` gets no ``assets/`` folder in its working
    directory). The card published is the serving version's, or the one this run's
    ``automl_pin`` var names. Never fails the build: a card that cannot be drawn is a
    warning.
    """
    from dbt_automl._log import get_logger
    from dbt_automl.lifecycle import pinned_versions

    if dbt_flag("PROJECT_DIR") is None and not os.environ.get(CARDS_ENV):
        return
    try:
        # A run's --vars '{automl_pin: {<model>: N}}' serves N in this run: publish its card.
        path = publish_card(registry, model_name, version=pinned_versions().get(model_name))
    except Exception as exc:  # the model is trained and registered; only its card failed
        get_logger().warning(f"{model_name}: model card not written ({exc!r})")
        return
    get_logger().info(f"{model_name}: model card at {path}")


def _version(
    registry: Registry, model_name: str, version: int | None, life: Lifecycle
) -> ModelVersion:
    versions = {v.version: v for v in registry.versions(model_name)}
    if version is None:
        found = life.champion or (versions[max(versions)] if versions else None)
    else:
        found = versions.get(version)
    if found is None:
        known = ", ".join(f"v{v}" for v in sorted(versions)) or "none"
        raise RegistryError(
            f"no {'trained version' if version is None else f'version {version}'} in "
            f"{registry.root / model_name} (versions: {known})",
            f"train it first (`dbt build --select {model_name}`) or pick a listed version",
            model=model_name,
        )
    return found


def _inputs(
    life: Lifecycle,
    model_name: str,
    drift: Sequence[Any] | None,
    project: Path | None,
) -> CardInputs:
    manifest = manifest_path(project)
    tests = model_tests(manifest, model_name)
    rows = [drift_row(r) for r in drift] if drift else None
    return CardInputs(life, tests, manifest.is_file(), rows)


def drift_row(row: Any) -> dict[str, Any]:
    """A drift row as the card lists it: a drift-table row (mapping) or a
    :class:`dbt_automl.drift.FeatureDrift`, without its per-bin lists."""
    if dataclasses.is_dataclass(row) and not isinstance(row, type):
        found = dataclasses.asdict(row)
        if hasattr(row, "null_rate_change"):
            found["null_rate_change"] = row.null_rate_change
    else:
        found = dict(row)
    return {k: v for k, v in found.items() if not isinstance(v, list | tuple | dict)}


def _render(version: ModelVersion, inputs: CardInputs, force: bool) -> Path:
    card_dir = version.path / CARD_DIR
    if force or read_stamp(card_dir).get("key") != inputs.key(version):
        _atomic_dir(card_dir, lambda tmp: write_card(version, inputs, tmp))
    return card_dir


def _copy_files(source: Path, dest: Path) -> None:
    for path in source.iterdir():
        if path.is_file() and path.name != STAMP_FILE:
            shutil.copy2(path, dest / path.name)
    shutil.copy2(source / STAMP_FILE, dest / STAMP_FILE)  # last: a stamp means complete


def _atomic_dir(final: Path, fill: Any) -> None:
    """Fill a temporary directory beside ``final``, then put it in ``final``'s place.

    The old directory is renamed aside and the new one renamed in (two renames, no copy),
    then the old one is removed; a failure while filling or renaming removes the
    temporary directory and leaves the previous ``final`` in place.
    """
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    old = tmp.with_name(tmp.name.replace(".tmp-", ".old-"))
    try:
        fill(tmp)
        if final.exists():
            os.rename(final, old)
        try:
            os.rename(tmp, final)
        except OSError:
            if old.exists() and not final.exists():
                os.rename(old, final)  # put the previous card back
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)

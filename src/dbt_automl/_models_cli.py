"""``dbt-automl models list | show | promote | rollback | pin | unpin | card``: the registry
from a terminal, reading and writing the same lifecycle log that ``dbt build`` does."""

from __future__ import annotations

import argparse
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.markup import escape

from dbt_automl.errors import DbtAutomlError

_STATUS_STYLE = {
    "champion": "bold green",
    "pinned": "bold cyan",
    "rejected": "red",
    "retired": "dim",
    "challenger": "yellow",
}


def add_models(subparsers: argparse._SubParsersAction) -> None:
    """Register ``models`` and its subcommands."""
    p = subparsers.add_parser(
        "models",
        help="list, show, promote, roll back and pin trained models in the registry",
        description="The registry's models and versions; promote, rollback, pin and unpin "
        "write the same lifecycle log `dbt build` reads: the next build's trained-model "
        "tables, and every scoring call, serve the version they leave current.",
    )
    p.add_argument(
        "--registry",
        default=os.environ.get("DBT_AUTOML_REGISTRY_PATH", "lake/models"),
        help="model registry (default: $DBT_AUTOML_REGISTRY_PATH or lake/models)",
    )
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub.add_parser("list", help="one line per model: serving version, status, metric")
    show = sub.add_parser("show", help="every version of a model and its lifecycle log")
    show.add_argument("model")
    promote = sub.add_parser("promote", help="make a version the champion")
    promote.add_argument("model")
    promote.add_argument("version", type=int)
    rollback = sub.add_parser("rollback", help="make the previous champion the champion again")
    rollback.add_argument("model")
    pin = sub.add_parser("pin", help="serve a version whatever the champion, until unpinned")
    pin.add_argument("model")
    pin.add_argument("version", type=int)
    unpin = sub.add_parser("unpin", help="serve the champion again")
    unpin.add_argument("model")
    for action in (promote, rollback, pin, unpin):
        action.add_argument("--reason", default="", help="why, for the lifecycle log")
    card = sub.add_parser(
        "card", help="render a model's card and print its path", description=CARD_DESCRIPTION
    )
    add_card_arguments(card)
    p.set_defaults(handler=run_models)


CARD_DESCRIPTION = (
    "Render the card of the version scoring uses (or --version N) into the registry "
    "(vNNNN/card/) and publish it to --out/<model>/, where the model's dbt docs page links "
    "it. With --version and no --out, only the registry copy is written."
)


def add_card_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of ``card`` (and ``models card``) but the registry."""
    p.add_argument("model", help="the trained model (its dbt model name)")
    p.add_argument("--version", type=int, help="version number (default: the one scoring uses)")
    p.add_argument(
        "--out", help="published cards (default: $DBT_AUTOML_CARDS_PATH or assets/cards)"
    )
    p.add_argument("--open", action="store_true", help="open the card in a web browser")


def run_card(args: argparse.Namespace) -> int:
    """Render (and publish) the card; print the path of its ``card.html``."""
    import webbrowser

    from dbt_automl.cards import cards_root, publish_card, render_card
    from dbt_automl.registry import Registry

    registry, project = Registry(Path(args.registry).resolve()), Path.cwd()
    if args.version is not None and args.out is None:
        path = render_card(registry, args.model, args.version, project=project) / "card.html"
    else:
        out = Path(args.out).resolve() if args.out else cards_root(project)
        path = publish_card(registry, args.model, out, version=args.version, project=project)
    print(path)
    if args.open:
        webbrowser.open(path.as_uri())
    return 0


def run_models(args: argparse.Namespace) -> int:
    """Run one ``models`` action; print tables with rich (plain text when piped)."""
    from rich.console import Console

    from dbt_automl.registry import Registry

    registry = Registry(Path(args.registry).resolve())
    console = Console(highlight=False, soft_wrap=False)
    if args.action == "list":
        console.print(_list_table(registry))
        return 0
    if args.model not in _model_names(registry):
        raise DbtAutomlError(
            f"no model {args.model!r} in the registry {registry.root}",
            f"choose one of {_model_names(registry)} or pass --registry",
        )
    if args.action == "card":
        return run_card(args)
    if args.action == "show":
        console.print(_versions_table(registry, args.model))
        console.print(_log_table(registry, args.model))
        return 0
    entry = _change(registry, args)
    _republish_card(registry, args.model, console)
    console.print(
        f"{args.model}: v{entry['version']} {entry['action']} ({escape(entry['reason'])}); "
        f"serving v{registry.serving(args.model).version}"
    )
    return 0


def _change(registry: Any, args: argparse.Namespace) -> dict[str, Any]:
    """Write the lifecycle event the action asks for."""
    from dbt_automl.registry import Event

    registry.adopt(args.model)
    reason = args.reason or f"by hand (dbt-automl models {args.action})"
    if args.action == "rollback":
        entry: dict[str, Any] = registry.rollback(args.model, reason)
        return entry
    if args.action == "unpin":
        pinned = registry.serving(args.model).pinned
        if pinned is None:
            raise DbtAutomlError(f"{args.model} is not pinned", "nothing to do", model=args.model)
        return dict(registry.record(args.model, Event(pinned, "unpinned", reason)))
    action = {"promote": "promoted", "pin": "pinned"}[args.action]
    return dict(registry.record(args.model, Event(args.version, action, reason)))


def _republish_card(registry: Any, model: str, console: Any) -> None:
    """The model card in dbt docs follows the new serving version: republished when run
    from a dbt project (or with $DBT_AUTOML_CARDS_PATH), a warning if it cannot be drawn."""
    from dbt_automl.cards import CARDS_ENV, publish_card

    if not (os.environ.get(CARDS_ENV) or Path("dbt_project.yml").is_file()):
        return
    try:
        path = publish_card(registry, model, project=Path.cwd())
    except Exception as exc:  # the change is made; a card is a view of it
        console.print(f"[yellow]model card not republished: {escape(str(exc))}[/]")
        return
    console.print(f"model card: {path}")


def _model_names(registry: Any) -> list[str]:
    root: Path = registry.root
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and registry.versions(p.name))


def _list_table(registry: Any) -> Any:
    from rich.table import Table

    from dbt_automl.lifecycle import recorded_score

    table = Table(title=f"models in {registry.root}")
    for column in ("model", "task", "serves", "status", "metric", "score", "n"):
        right = column in ("score", "n")
        # Names are what people copy into the next command: never cut them short.
        table.add_column(column, justify="right" if right else "left", no_wrap=column == "model")
    for name in _model_names(registry):
        versions = registry.versions(name)
        state = registry.serving(name)
        serving = state.version
        meta: dict[str, Any] = next((v.metadata for v in versions if v.version == serving), {})
        status = state.status.get(serving, "none") if serving else "none"
        table.add_row(
            name,
            versions[-1].metadata["task"],
            f"v{serving}" if serving else "-",
            _styled(status),
            str(meta.get("metric", "-")),
            _number(recorded_score(meta) if meta else None),
            str(len(versions)),
        )
    return table


def _versions_table(registry: Any, name: str) -> Any:
    from rich.table import Table

    from dbt_automl.lifecycle import recorded_score

    status = registry.status(name)
    table = Table(title=f"{name}: versions")
    for column in ("version", "status", "trained at", "metric", "score", "rows", "duration"):
        table.add_column(column)
    for version in registry.versions(name):
        meta = version.metadata
        table.add_row(
            f"v{version.version}",
            _styled(status.get(version.version, "challenger")),
            _when(meta["created_at"]),
            str(meta.get("metric", "-")),
            _number(recorded_score(meta)),
            str(meta.get("data", {}).get("rows", "-")),
            f"{meta.get('duration_s', 0):.0f}s",
        )
    return table


def _log_table(registry: Any, name: str) -> Any:
    from rich.table import Table

    table = Table(title=f"{name}: lifecycle log")
    for column in ("at", "version", "action", "reason"):
        table.add_column(column, overflow="fold")
    for event in registry.history(name):
        reason = escape(event["reason"])
        table.add_row(_when(event["at"]), f"v{event['version']}", event["action"], reason)
    return table


def _styled(status: str) -> str:
    style = _STATUS_STYLE.get(status)
    return f"[{style}]{status}[/]" if style else status


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _when(at: str) -> str:
    return datetime.fromisoformat(at).strftime("%Y-%m-%d %H:%M")

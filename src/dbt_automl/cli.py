"""The ``dbt-automl`` command line.

Each subcommand is one ``_add_<name>`` function that registers its parser and sets
``handler`` to a function taking the parsed namespace and returning an exit code. To add a
subcommand, write both functions and append the ``_add_`` function to ``_SUBCOMMANDS``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence

from dbt_automl._models_cli import CARD_DESCRIPTION, add_card_arguments, add_models, run_card
from dbt_automl.errors import DbtAutomlError

Handler = Callable[[argparse.Namespace], int]


def main(argv: list[str] | None = None) -> int:
    """Run ``dbt-automl`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    Exit codes: 0 success, 1 the command refused (a :class:`DbtAutomlError`, message on
    stderr), 2 bad usage (argparse).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except DbtAutomlError as exc:
        print(exc, file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="dbt-automl",
        description="AutoML inside the warehouse, the dbt way.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in _SUBCOMMANDS:
        add(subparsers)
    return parser


def _scale_arg(value: str) -> str:
    """argparse type for ``--scale``: a known name or a positive number, kept as text."""
    from dbt_automl.demo import resolve_scale

    try:
        resolve_scale(value)
    except DbtAutomlError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _add_generate_lake(subparsers: argparse._SubParsersAction) -> None:
    """Register ``generate-lake``: write the deterministic demo lake."""
    p = subparsers.add_parser(
        "generate-lake",
        help="write the deterministic demo data lake (CSV, Parquet, JSON)",
        description="Write the demo bank lake described in docs/CONTRACTS.md. Skips the work "
        "when the lake at --out already has this scale and seed, unless --force.",
    )
    p.add_argument(
        "--scale",
        type=_scale_arg,
        default="default",
        help="tiny, small, default, large, or a multiple of default's 5,000 customers "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--out",
        default=os.environ.get("DBT_AUTOML_LAKE_PATH", "lake/raw"),
        help="lake root (default: $DBT_AUTOML_LAKE_PATH or lake/raw)",
    )
    p.add_argument("--seed", type=int, default=42, help="random seed (default: %(default)s)")
    p.add_argument("--force", action="store_true", help="regenerate even if up to date")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=_run_generate_lake)


def _run_generate_lake(args: argparse.Namespace) -> int:
    """Generate the lake and print what it holds."""
    from dbt_automl.demo import generate_lake

    started = time.perf_counter()
    summary = generate_lake(args.out, scale=args.scale, seed=args.seed, force=args.force)
    if args.json:
        print(json.dumps(summary.as_dict(), indent=2))
        return 0
    verb = "up to date, skipped" if summary.skipped else "written"
    print(f"lake {summary.root} {verb} in {time.perf_counter() - started:.1f}s")
    for line in _summary_lines(summary.as_dict()):
        print(f"  {line}")
    return 0


def _summary_lines(data: dict[str, object]) -> Sequence[str]:
    """Aligned ``name  value`` lines for the counts and rates of a lake summary."""
    shown = {k: v for k, v in data.items() if k not in {"root", "skipped"}}
    width = max(len(k) for k in shown)
    return [
        f"{k:<{width}}  {v:,}" if isinstance(v, int) else f"{k:<{width}}  {v}"
        for k, v in shown.items()
    ]


def _add_summary(subparsers: argparse._SubParsersAction) -> None:
    """Register ``summary``: report trained models and prediction tables in a warehouse."""
    p = subparsers.add_parser(
        "summary",
        help="show each trained model's metrics and where the predictions and docs are",
    )
    p.add_argument(
        "--duckdb",
        default=os.environ.get("DBT_AUTOML_DUCKDB_PATH", "target/warehouse.duckdb"),
        help="warehouse file (default: $DBT_AUTOML_DUCKDB_PATH or target/warehouse.duckdb)",
    )
    p.add_argument(
        "--registry",
        default=os.environ.get("DBT_AUTOML_REGISTRY_PATH", "lake/models"),
        help="model registry (default: $DBT_AUTOML_REGISTRY_PATH or lake/models)",
    )
    p.add_argument("--docs", default="target/index.html", help="dbt docs page to point at")
    p.set_defaults(handler=_run_summary)


def _run_summary(args: argparse.Namespace) -> int:
    """Print the summary; refuse when the warehouse file does not exist."""
    from pathlib import Path

    from dbt_automl.dbt._summary import summarize

    warehouse = Path(args.duckdb)
    if not warehouse.is_file():
        raise DbtAutomlError(f"no warehouse at {warehouse}", "run `dbt build` (or `make demo`)")
    print(summarize(warehouse, Path(args.registry), Path(args.docs)))
    return 0


def _add_card(subparsers: argparse._SubParsersAction) -> None:
    """Register ``card`` (also ``models card``): render a model version's card and publish
    it for dbt docs."""
    p = subparsers.add_parser(
        "card",
        help="render a trained model's card (markdown, HTML, plots) and print its path",
        description=CARD_DESCRIPTION,
    )
    p.add_argument(
        "--registry",
        default=os.environ.get("DBT_AUTOML_REGISTRY_PATH", "lake/models"),
        help="model registry (default: $DBT_AUTOML_REGISTRY_PATH or lake/models)",
    )
    add_card_arguments(p)
    p.set_defaults(handler=run_card)


_SUBCOMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_generate_lake,
    _add_summary,
    add_models,
    _add_card,
]

if __name__ == "__main__":
    raise SystemExit(main())

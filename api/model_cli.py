"""The `brobygger model` commands: train, evaluate, promote, roll back, list and audit ranking models,
and rebuild the packaged default model."""

import asyncio
import json
import sys
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.runtime import infrastructure
from core.config import Settings, get_settings
from core.db import open_pool, transaction
from core.errors import BrobyggerError
from core.queue import configure_broker
from scoring import defaults, fairness, service, training
from scoring.evaluation import headline
from taxonomy.encoders import encoder_id

model_app = typer.Typer(help="Ranking models: train, evaluate, promote, roll back, audit.", no_args_is_help=True)
console = Console(stderr=True)
out = Console(width=None if sys.stdout.isatty() else 140)  # tables stay readable when piped

T = TypeVar("T")


def _run(work: Callable[[Settings], Coroutine[Any, Any, T]]) -> T:
    """Run `work` against the configured infrastructure; a domain error is a message and exit code 2."""
    settings = get_settings()
    with infrastructure(settings) as resolved:
        try:
            return asyncio.run(work(resolved))
        except (BrobyggerError, fairness.AttributesFileError) as error:
            console.print(f"[red]{getattr(error, 'detail', error)}[/red]", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from error


def _number(value: Any) -> str:
    return "–" if value is None else f"{value:.4f}"


def _comparison_table(comparison: dict[str, dict[str, Any]], title: str) -> Table:
    table = Table("scorer", "nDCG@10", "recall@10", "AUC", "placement AUC", "Brier", "pool nDCG@10", "queries",
                  title=title, caption="decided pairs of the held-out period; pool: ranked among sampled candidates")
    for name, metrics in comparison.items():
        figures = headline(metrics)
        table.add_row(name, _number(figures["ndcg_at_10"]), _number(figures["recall_at_10"]), _number(figures["auc"]),
                      _number(figures["placement_auc"]), _number(figures["brier"]), _number(figures["pool_ndcg_at_10"]),
                      str(metrics.get("queries", "")))
    return table


def _calibration_table(comparison: dict[str, dict[str, Any]]) -> Table:
    """Brier score and expected calibration error (ECE) of the probabilistic scorers, and for a calibrated
    model the same before its calibration step ("raw")."""
    table = Table("scorer", "Brier", "ECE", "Brier raw", "ECE raw", title="calibration",
                  caption="decided pairs of the held-out period; raw: before the model's calibration step")
    for name, metrics in comparison.items():
        figures = headline(metrics)
        if figures["brier"] is not None:
            table.add_row(name, _number(figures["brier"]), _number(figures["ece"]),
                          _number(figures["brier_uncalibrated"]), _number(figures["ece_uncalibrated"]))
    return table


@model_app.command("train")
def train_command(
    jobcentre: Annotated[int | None, typer.Option(help="Learn from this jobcentre's history only.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the negative sampling.")] = training.DEFAULT_SEED,
    queue: Annotated[bool, typer.Option(help="Train in a worker instead (see `brobygger model list`).")] = False,
) -> None:
    """Train a candidate on the history before the held-out period, compare it there with the baselines and
    the active model, and register it (inactive; promote it with `brobygger model promote`)."""

    async def work(settings: Settings) -> None:
        async with open_pool(settings.database_url, max_size=4) as pool:
            if queue:
                from scoring.tasks import enqueue_training

                assert settings.redis_url is not None
                configure_broker(settings.redis_url, settings.redis_prefix)
                async with transaction(pool) as conn:
                    run_id = await service.request_training(conn, jobcentre)
                await enqueue_training(run_id)
                out.print(f"training run {run_id} queued; follow it with `brobygger model list`")
                return
            with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                          console=console) as bar:
                task = bar.add_task("training", total=1.0)

                async def progress(stage: str, share: float) -> None:
                    bar.update(task, description=stage, completed=share)

                outcome = await service.train(pool, encoder_id=encoder_id(settings.encoder), data_dir=settings.data_dir,
                                              jobcentre_code=jobcentre, seed=seed, progress=progress)
        out.print(_comparison_table(outcome.comparison, f"held out from {outcome.held_out_from.isoformat()}"))
        out.print(_calibration_table(outcome.comparison))
        out.print(f"registered {outcome.model.version}; promote it with "
                  f"`brobygger model promote {outcome.model.version}`")
        out.print(f"artefact: {service.artefact_path(settings.data_dir, outcome.model.version)}")

    _run(work)


@model_app.command("evaluate")
def evaluate_command(
    version: Annotated[str | None, typer.Argument(help="A registered version; the latest when left out.")] = None,
) -> None:
    """Compare a registered model with the baselines and the active model on its held-out period, on
    today's data."""

    async def work(settings: Settings) -> None:
        async with open_pool(settings.database_url, max_size=2) as pool:
            chosen, comparison = await service.evaluate_version(pool, version, encoder_id=encoder_id(settings.encoder))
        out.print(_comparison_table(comparison, f"model {chosen}"))
        out.print(_calibration_table(comparison))

    _run(work)


@model_app.command("promote")
def promote_command(
    version: Annotated[str, typer.Argument(help="The registered version to make active.")],
    force: Annotated[bool, typer.Option(help="Promote even if it ranks worse than the active model.")] = False,
) -> None:
    """Make a registered model the active one; refused when it ranks worse than the active model on its
    held-out period (nDCG@10), unless --force."""

    async def work(settings: Settings) -> service.Promotion:
        async with open_pool(settings.database_url, max_size=2) as pool:
            return await service.promote(pool, version, encoder_id=encoder_id(settings.encoder), force=force)

    promotion = _run(work)
    figures = ("" if promotion.candidate_score is None else
               f" (nDCG@10 {promotion.candidate_score:.4f} vs {_number(promotion.active_score)})")
    out.print(f"{promotion.version} is now active, replacing {promotion.previous}{figures}"
              + (" [forced]" if promotion.forced else ""))


@model_app.command("rollback")
def rollback_command(
    version: Annotated[str, typer.Argument(help="An earlier registered version, or 'default'.")],
) -> None:
    """Make an earlier version active again ('default': the packaged default model)."""

    async def work(settings: Settings) -> str:
        async with open_pool(settings.database_url, max_size=2) as pool:
            return await service.rollback(pool, version)

    previous = _run(work)
    out.print(f"{version} is now active, replacing {previous}")


@model_app.command("list")
def list_command() -> None:
    """Registered versions (the active one marked), recent training runs and model events."""

    async def work(settings: Settings) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
        async with open_pool(settings.database_url, max_size=2) as pool, pool.acquire() as conn:
            return (await service.list_versions(conn), await service.training_runs(conn),
                    (await service.active_scorer(conn)).version)

    versions, runs, serving = _run(work)
    table = Table("version", "created", "active", "promoted", "held out from", "nDCG@10", "AUC", title="models")
    for row in versions:
        figures = headline(row["metrics"].get("evaluation", {}).get(service.CANDIDATE, {}))
        table.add_row(row["version"], f"{row['created_at']:%Y-%m-%d %H:%M}", "yes" if row["active"] else "",
                      f"{row['promoted_at']:%Y-%m-%d %H:%M}" if row["promoted_at"] else "",
                      str(row["held_out_from"] or ""), _number(figures["ndcg_at_10"]), _number(figures["auc"]))
    out.print(table)
    out.print(f"serving: {serving}" + ("" if any(row["active"] for row in versions) else " (no model promoted)"))
    if runs:
        run_table = Table("run", "requested", "state", "stage", "progress", "version", "error", title="training runs")
        for run in runs:
            run_table.add_row(str(run["id"]), f"{run['requested_at']:%Y-%m-%d %H:%M}", run["state"], run["stage"] or "",
                              f"{run['progress']:.0%}", run["version"] or "", (run["error"] or "")[:80])
        out.print(run_table)


@model_app.command("audit")
def audit_command(
    attributes: Annotated[Path | None, typer.Option(
        exists=True, dir_okay=False, help="JSONL audit attributes (reference, jobcentre_code, age_band, gender, …), "
                                          "e.g. the demo's citizen_audit_attributes.jsonl.")] = None,
    version: Annotated[str | None, typer.Option(help="Audit this registered version instead of the active one.")]
    = None,
    jobcentre: Annotated[int | None, typer.Option(help="Only this jobcentre's citizens.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Exposure in the top 10 and predicted success by group (age band, gender, target group, kommune;
    small and large employers), with lowest/highest ratios; exits 1 when a ratio is below 0.8."""

    async def work(settings: Settings) -> fairness.AuditReport:
        groups = fairness.read_attributes(attributes) if attributes else {}
        async with open_pool(settings.database_url, max_size=2) as pool:
            return await service.audit(pool, encoder_id=encoder_id(settings.encoder), attributes=groups,
                                       version=version, jobcentre_code=jobcentre)

    report = _run(work)
    rows = fairness.as_rows(report)
    if as_json:
        out.print_json(json.dumps({"version": report.version, "citizens": report.citizens,
                                   "placements": report.placements, "pairs": report.pairs, "findings": rows}))
    else:
        table = Table("attribute", "metric", "group", "members", "value", "ratio", "flag",
                      title=f"fairness audit of {report.version}: {report.citizens} citizens, "
                            f"{report.placements} placements, {report.pairs} eligible pairs")
        for row in rows:
            table.add_row(str(row["attribute"]), str(row["metric"]), str(row["group"]), str(row["members"]),
                          "too few" if row["value"] is None else f"{row['value']:.4f}",
                          "" if row["ratio"] is None else f"{row['ratio']:.3f}", "below 0.8" if row["flagged"] else "")
        out.print(table)
    if report.flagged:
        raise typer.Exit(1)


@model_app.command("build-default")
def build_default_command(
    output: Annotated[Path, typer.Option("--out", help="Where to write the artefact.")] = service.DEFAULT_MODEL_PATH,
    seed: Annotated[int, typer.Option(help="Demo data seed.")] = defaults.DEMO_SEED,
    citizens: Annotated[int, typer.Option(min=100)] = defaults.DEMO_CITIZENS,
    employers: Annotated[int, typer.Option(min=10)] = defaults.DEMO_EMPLOYERS,
) -> None:
    """Rebuild the packaged default model from a demo history, in a throwaway embedded database (the
    configured database is not touched)."""
    with tempfile.TemporaryDirectory(prefix="brobygger-default-model-") as work_dir:
        settings = Settings(environment="development", data_dir=Path(work_dir), database_url=None, redis_url=None,
                            taxonomy_dense=False)

        async def work(resolved: Settings) -> Any:
            async with open_pool(resolved.database_url, max_size=4) as pool:
                return await defaults.build(pool, Path(work_dir) / "demo-data", output, seed=seed, citizens=citizens,
                                            employers=employers)

        with console.status("generating, importing and training on demo data"), infrastructure(settings) as resolved:
            model = asyncio.run(work(resolved))
    out.print(_comparison_table(model.metrics["evaluation"], f"{model.version} on demo data (seed {seed})"))
    out.print(_calibration_table(model.metrics["evaluation"]))
    out.print(f"wrote {output}")

"""The `brobygger demo-data` command: write demo JSONL files for the bulk importer, with progress."""

import datetime as dt
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from demo.generator import DEFAULT_JOBCENTRES, DEFAULT_REFERENCE_DATE, MANIFEST, generate

console = Console(stderr=True)
DEFAULT_JOBCENTRES_OPTION = ",".join(map(str, DEFAULT_JOBCENTRES))


def _parse_jobcentres(value: str) -> list[int]:
    try:
        codes = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter("give kommune codes separated by commas, for example 101,751") from None
    if not codes:
        raise typer.BadParameter("give at least one kommune code")
    return codes


def demo_data(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the JSONL files and manifest.json into.")] = (
        Path("demo-data")
    ),
    jobcentres: Annotated[
        str, typer.Option(help="Kommune codes of the jobcentres, comma-separated (101 København, 751 Aarhus).")
    ] = DEFAULT_JOBCENTRES_OPTION,
    citizens: Annotated[int, typer.Option(min=0, help="Citizens in all, split evenly over the jobcentres.")] = 1000,
    employers: Annotated[int, typer.Option(min=0, help="Employers in all, split evenly over the jobcentres.")] = 200,
    openings_per_employer: Annotated[
        float, typer.Option(min=0.0, help="Average openings per employer (about 12% have none).")
    ] = 2.0,
    seed: Annotated[int, typer.Option(help="Random seed; the same arguments and seed give identical files.")] = 1,
    history_weeks: Annotated[
        int, typer.Option(min=0, help="Weeks of placement history and decisions before the reference date.")
    ] = 52,
    reference_date: Annotated[
        str, typer.Option(help="The demo's 'today' (YYYY-MM-DD); dates are relative to it, never the clock.")
    ] = DEFAULT_REFERENCE_DATE.isoformat(),
) -> None:
    """Generate realistic demo employers, openings, citizens and placement history as import JSONL."""
    codes = _parse_jobcentres(jobcentres)
    try:
        reference = dt.date.fromisoformat(reference_date)
    except ValueError:
        raise typer.BadParameter("use the form YYYY-MM-DD", param_hint="--reference-date") from None

    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=console, transient=False,
    ) as progress:
        tasks: dict[str, TaskID] = {
            "employers": progress.add_task("employers", total=employers),
            "citizens": progress.add_task("citizens", total=citizens),
        }

        def report(stage: str, done: int, total: int) -> None:
            progress.update(tasks[stage], completed=done, total=total)

        try:
            counts = generate(
                out,
                jobcentres=codes,
                citizens=citizens,
                employers=employers,
                openings_per_employer=openings_per_employer,
                seed=seed,
                history_weeks=history_weeks,
                reference_date=reference,
                progress=report,
            )
        except ValueError as error:
            raise typer.BadParameter(str(error)) from None
    elapsed = time.perf_counter() - started

    table = Table(title=f"Demo data in {out}")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, count in counts.items():
        table.add_row(name, f"{count:,}")
    total = sum(counts.values())
    table.add_row("[bold]total[/bold]", f"[bold]{total:,}[/bold]")
    console.print(table)
    console.print(f"{total:,} rows in {elapsed:.1f} s ({total / max(elapsed, 1e-9):,.0f} rows/s); see {out / MANIFEST}")

"""What the benchmark prints and writes: the tables, the ratios, the targets, the JSON."""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import platform
import typing as t

from . import backends, targets
from .settings import Settings
from .variants import VARIANTS

ROOT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "latest.json"
LABELS = {variant.key: variant.label for variant in VARIANTS}
BACKEND_LABELS = {backend.key: backend.label for backend in backends.ALL}
DJANGO_LABELS = {"testcase": "Django TestCase", "bare": "Django bare (atomic, rollback)"}


def settings_dict(chosen: Settings) -> dict[str, t.Any]:
    return {
        **dataclasses.asdict(chosen),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
    }


def all_ratios(results: dict[str, t.Any]) -> list[targets.Ratio]:
    ratios = []
    for backend, summary in results["backends"].items():
        ratios.extend(targets.backend_ratios(backend, summary))
    django = results.get("django", {}).get("variants")
    flask_pg = results["backends"].get("postgresql")
    if django and flask_pg:
        ratio = targets.django_ratio(flask_pg, django)
        if ratio is not None:
            ratios.append(ratio)
    return ratios


def _rows(results: dict[str, t.Any]) -> list[tuple[str, dict[str, dict[str, float]]]]:
    """(label, {backend: summary}) per variant, Django's rows under PostgreSQL."""
    rows = []
    for key, label in LABELS.items():
        cells = {b: s[key] for b, s in results["backends"].items() if key in s}
        if cells:
            rows.append((label, cells))
    for key, label in DJANGO_LABELS.items():
        summary = results.get("django", {}).get("variants", {}).get(key)
        if summary:
            rows.append((label, {"postgresql": summary}))
    return rows


def _txtest_median(results: dict[str, t.Any], backend: str) -> float | None:
    summary = results["backends"].get(backend, {}).get("txtest")
    return None if summary is None else float(summary["median_ms"])


def _cell(results: dict[str, t.Any], backend: str, summary: dict[str, float] | None) -> str:
    if summary is None:
        return "-"
    median = summary["median_ms"]
    txtest = _txtest_median(results, backend)
    relative = f" (x{median / txtest:.2f})" if txtest else ""
    return f"{median:.3f} ms{relative}"


def markdown(results: dict[str, t.Any]) -> str:
    """The tables docs/performance.md shows, generated from one run."""
    columns = list(results["backends"])
    lines = [
        "| per-test median (x flask_txtest) | "
        + " | ".join(BACKEND_LABELS[c] for c in columns)
        + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for label, cells in _rows(results):
        row = [_cell(results, column, cells.get(column)) for column in columns]
        lines.append(f"| {label} | " + " | ".join(row) + " |")
    lines += ["", "| ratio | backend | measured | target | |", "|---|---|---:|---|---|"]
    for ratio in all_ratios(results):
        lines.append(
            f"| {ratio.name} | {BACKEND_LABELS[ratio.backend]} | {ratio.value:.2f} | "
            f"{ratio.target} | {'PASS' if ratio.met else 'MISS'} |"
        )
    scale = results.get("scale")
    if scale:
        lines += [
            "",
            "| scale (flask_txtest) | tests | total | per test (mean) | median | RSS growth |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for run in scale:
            lines.append(
                f"| {BACKEND_LABELS[run['backend']]} | {run['tests']:,} | "
                f"{run['total_s']:.1f} s | {run['mean_ms']:.3f} ms | {run['median_ms']:.3f} ms | "
                f"{run['rss_growth_mb']:+.1f} MB |"
            )
    return "\n".join(lines)


def print_report(results: dict[str, t.Any]) -> None:
    print()
    print("Per-test wall time (startTest to stopTest, setUp and tearDown included)")
    header = f"  {'variant':34}" + "".join(f"{BACKEND_LABELS[b]:>24}" for b in results["backends"])
    print(header)
    for label, cells in _rows(results):
        line = f"  {label:34}"
        for backend in results["backends"]:
            summary = cells.get(backend)
            text = "-"
            if summary is not None:
                text = f"{summary['median_ms']:.3f} ms [{summary['p90_ms']:.2f}]"
            line += f"{text:>24}"
        print(line)
    print("  (median ms [p90 ms]; Django runs on PostgreSQL in its own venv)")
    print()
    print("Ratios of medians")
    for ratio in all_ratios(results):
        verdict = "PASS" if ratio.met else "MISS"
        name = f"{ratio.name} ({BACKEND_LABELS[ratio.backend]})"
        print(f"  {name:58} {ratio.value:8.2f}   target {ratio.target:8}  {verdict}")
    for line in results.get("notes", []):
        print(f"  {line}")
    print()
    print("Markdown for docs/performance.md:")
    print()
    print(markdown(results))
    print()
    print(f"Total {results['seconds']:.0f} s; figures in {RESULTS.relative_to(ROOT)}")


def save(results: dict[str, t.Any]) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")

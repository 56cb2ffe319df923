"""docs/img/performance.png: per-test medians per variant and backend, and the scale runs."""

from __future__ import annotations

import pathlib
import typing as t

from matplotlib.figure import Figure  # no pyplot: no display, no global state

from .report import BACKEND_LABELS, DJANGO_LABELS, LABELS, ROOT
from .targets import overheads

OUTPUT = ROOT / "docs" / "img" / "performance.png"
COLORS = {
    "txtest": "#d62728",
    "bare": "#7f7f7f",
    "recipe": "#1f77b4",
    "truncate": "#ff7f0e",
    "drop_create": "#8c564b",
    "django_testcase": "#2ca02c",
    "django_bare": "#98df8a",
}


def _bars(results: dict[str, t.Any]) -> list[tuple[str, str, str, float]]:
    """(backend, series key, label, median ms) for every bar."""
    bars = []
    for backend, summaries in results["backends"].items():
        for key, label in LABELS.items():
            if key in summaries:
                bars.append((backend, key, label, summaries[key]["median_ms"]))
        django = _django(results)
        if backend == "postgresql":
            for key, label in DJANGO_LABELS.items():
                if key in django:
                    bars.append((backend, f"django_{key}", label, django[key]["median_ms"]))
    return bars


def _django(results: dict[str, t.Any]) -> dict[str, t.Any]:
    return t.cast(dict[str, t.Any], results.get("django", {}).get("variants", {}))


def _comparison(axes: t.Any, results: dict[str, t.Any]) -> None:
    bars = _bars(results)
    backends = list(results["backends"])
    series = list(dict.fromkeys(key for _, key, _, _ in bars))
    width = 0.8 / len(series)
    labelled: set[str] = set()
    for backend, key, label, median in bars:
        group = backends.index(backend)
        x = group - 0.4 + width * (series.index(key) + 0.5)
        txtest = results["backends"][backend].get("txtest", {}).get("median_ms")
        axes.bar(
            x,
            median,
            width * 0.9,
            color=COLORS[key],
            label=None if key in labelled else label,
            edgecolor="black" if key == "txtest" else "none",
        )
        labelled.add(key)
        # Django's body runs on another ORM: its bars show milliseconds, not ratios.
        relative = txtest and key != "txtest" and not key.startswith("django")
        text = f"x{median / txtest:.2g}" if relative else f"{median:.2g} ms"
        axes.annotate(
            text,
            (x, median),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=7,
            rotation=90,
        )
    axes.set_yscale("log")
    axes.set_xticks(range(len(backends)), [BACKEND_LABELS[b] for b in backends])
    axes.set_ylabel("per-test wall time, median (ms, log scale)")
    axes.set_title("One insert + one query per test; labels: x flask_txtest")
    extra = overheads(results["backends"].get("postgresql", {}), _django(results))
    if extra is not None:
        axes.text(
            0.99,
            0.98,
            "overhead over own bare run, PostgreSQL:\n"
            f"flask_txtest {extra['flask_txtest']:+.2f} ms, "
            f"Django TestCase {extra['django_testcase']:+.2f} ms",
            transform=axes.transAxes,
            ha="right",
            va="top",
            fontsize=8,
            bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.8},
        )
    axes.set_ylim(top=max(bar[3] for bar in bars) * 4)
    axes.legend(fontsize=8, loc="upper left", ncols=2, framealpha=0.8)
    axes.grid(axis="y", which="both", alpha=0.3)


def _scale(axes: t.Any, runs: list[dict[str, t.Any]]) -> None:
    sizes = sorted({run["tests"] for run in runs})
    for backend in dict.fromkeys(run["backend"] for run in runs):
        mine = sorted((r for r in runs if r["backend"] == backend), key=lambda r: r["tests"])
        label = BACKEND_LABELS[backend]
        points = [run["tests"] for run in mine]
        (line,) = axes.plot(
            points, [run["mean_ms"] for run in mine], marker="o", label=f"{label}, mean"
        )
        axes.plot(
            points,
            [run["median_ms"] for run in mine],
            marker=".",
            linestyle=":",
            color=line.get_color(),
            label=f"{label}, median",
        )
        for run in mine:
            axes.annotate(
                f"{run['total_s']:.0f} s\nRSS {run['rss_growth_mb']:+.1f} MB",
                (run["tests"], run["mean_ms"]),
                xytext=(0, 6),
                textcoords="offset points",
                ha="center",
                fontsize=7,
            )
    axes.set_xscale("log")
    axes.set_xticks(sizes, [f"{size:,}" for size in sizes])
    axes.minorticks_off()
    axes.set_xlim(sizes[0] / 1.8, sizes[-1] * 1.8)
    axes.set_ylim(0, max(run["mean_ms"] for run in runs) * 1.3)
    axes.set_xlabel("tests in the suite (log scale)")
    axes.set_ylabel("time per test (ms)")
    axes.set_title("flask_txtest as the suite grows")
    axes.text(
        0.02,
        0.02,
        "labels: total time,\nRSS growth within the run",
        transform=axes.transAxes,
        fontsize=7,
        va="bottom",
    )
    axes.legend(fontsize=8, loc="lower right")
    axes.grid(alpha=0.3)


def write(results: dict[str, t.Any], output: pathlib.Path = OUTPUT) -> pathlib.Path:
    runs = results.get("scale") or []
    figure = Figure(figsize=(13 if runs else 9, 5))
    axes = figure.subplots(
        1,
        2 if runs else 1,
        squeeze=False,
        gridspec_kw={"width_ratios": [2, 1] if runs else [1]},
    )
    _comparison(axes[0][0], results)
    if runs:
        _scale(axes[0][1], runs)
    figure.tight_layout()
    output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output, dpi=110)
    return output.relative_to(ROOT)

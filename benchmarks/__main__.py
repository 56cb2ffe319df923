"""``python -m benchmarks``: the comparison, Django, the scale runs, the report, the plot."""

from __future__ import annotations

import sys
import time
import typing as t

from . import backends, compare, django_peer, report, scale, schema, settings


def main(argv: list[str] | None = None) -> int:
    chosen = settings.parse(argv)
    started = time.perf_counter()
    results: dict[str, t.Any] = {"settings": report.settings_dict(chosen), "backends": {}}
    print(f"flask_txtest benchmark ({'quick' if chosen.quick else 'full'} run)")
    found = backends.available(chosen.backends)
    postgresql = next((b for b in found if b.key == "postgresql"), None)
    try:
        for backend in found:
            print(f"  {backend.label}: {', '.join(chosen.variants)}", flush=True)
            results["backends"][backend.key] = compare.measure_backend(backend, chosen)
        if chosen.django and postgresql is not None:
            print("  Django on PostgreSQL: TestCase, bare", flush=True)
            results["django"] = django_peer.measure(postgresql.url, chosen)
        results["scale"] = []
        for backend in found:
            if chosen.scale_sizes and backend.key in chosen.scale_backends:
                sizes = ", ".join(f"{size:,}" for size in chosen.scale_sizes)
                print(f"  scale on {backend.label}: {sizes} tests", flush=True)
                results["scale"] += scale.measure(backend, chosen.scale_sizes)
    finally:
        for backend in found:
            schema.drop_schema(backend.url)
        backends.remove_sqlite_file()
    results["notes"] = scale.verdicts(results["scale"])
    if "skipped" in results.get("django", {}):
        results["notes"].append(f"Django: {results['django']['skipped']}")
    results["seconds"] = time.perf_counter() - started
    report.print_report(results)
    report.save(results)
    if chosen.plot:
        from . import plot  # matplotlib only when plotting

        if settings.is_complete(chosen):
            print(f"Plot: {plot.write(results)}")
            print(f"Table: {report.update_docs(results)}")
        else:  # a partial or quick run must not replace the published figures
            print(f"Plot: {plot.write(results, report.RESULTS.with_suffix('.png'))}")
            print("Table: docs/performance.md left as it is (not a complete, full run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

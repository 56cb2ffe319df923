"""``python -m benchmarks``: the comparison, Django, the scale runs, the report."""

from __future__ import annotations

import sys
import time
import typing as t

from . import backends, compare, report, settings


def main(argv: list[str] | None = None) -> int:
    chosen = settings.parse(argv)
    started = time.perf_counter()
    results: dict[str, t.Any] = {"settings": report.settings_dict(chosen), "backends": {}}
    print(f"flask_txtest benchmark ({'quick' if chosen.quick else 'full'} run)")
    found = backends.available(chosen.backends)
    try:
        for backend in found:
            print(f"  {backend.label}: comparing {', '.join(chosen.variants)}", file=sys.stderr)
            results["backends"][backend.key] = compare.measure_backend(backend, chosen)
    finally:
        backends.remove_sqlite_file()
    results["seconds"] = time.perf_counter() - started
    report.print_report(results)
    report.save(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m bench [--quick] [--only B1,B3]``: run the benchmarks, print a table, write bench/results.json."""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

from .cases import CASES, summarise

RESULTS = Path(__file__).resolve().parent / "results.json"


def isolated(run: Callable[[bool], tuple[list[float], list[float]]], quick: bool) -> tuple[list[float], list[float]]:
    """Run one case in a fresh interpreter: what earlier cases left in memory (a million exported rows, threads,
    caches) would otherwise slow the later ones' garbage collection and skew their ratios."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(run, quick).result()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and smaller data: a smoke run")
    parser.add_argument("--only", default="", help="comma-separated case ids, e.g. B1,B3")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    wanted = {c.strip().upper() for c in args.only.split(",") if c.strip()}
    results = []
    started = time.perf_counter()
    print(f"{'id':4} {'what':52} {'median':>9} {'baseline':>9} {'result':>14} {'target':>8}  ok", flush=True)
    for case in CASES:
        if wanted and case.id.upper() not in wanted:
            continue
        candidate, baseline = isolated(case.run, args.quick)
        row = summarise(case, candidate, baseline)
        results.append(row)
        target = f"≤{case.target:g}{' ' + case.unit if case.unit in ('MB', 'ms', 'frames') else '×'}"
        if case.lower:
            target = f"{case.lower:g}–{case.target:g}×"
        base = "—" if row["baseline_median"] is None else f"{row['baseline_median']:.4g}"
        print(f"{case.id:4} {case.what[:52]:52} {row['candidate_median']:>9.4g} {base:>9} "
              f"{row['shown']:>14} {target:>8}  {'yes' if row['pass'] else 'NO'}", flush=True)
    total = time.perf_counter() - started
    print(f"{len(results)} cases in {total:.0f} s (medians in seconds, B6 in MB; spread in {args.output.name})")
    args.output.write_text(json.dumps({
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "quick": args.quick,
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": __import__("os").cpu_count()},
        "seconds": round(total, 1), "results": results}, indent=2) + "\n")
    return 0 if all(r["pass"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

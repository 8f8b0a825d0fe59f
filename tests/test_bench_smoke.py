"""A quick smoke run of the benchmark suite (the full run is `python -m bench`, outside CI). The runs are marked
``bench``: they time real pacing, so they stay out of the default run; .ci/run runs them last, side by side, with
nothing else beside them (the one pace they judge, B14's, held at 0.72x of it beside the Chromium tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def quick(tmp_path: Path, cases: str) -> tuple[subprocess.CompletedProcess[str], dict[str, dict]]:
    """``python -m bench --quick --only <cases>``: the run, and its rows by case id in the order written (a missed
    target exits 1; the results are still written)."""
    out = tmp_path / "results.json"
    run = subprocess.run([sys.executable, "-m", "bench", "--quick", "--only", cases, "--output", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode in (0, 1), run.stdout + run.stderr
    return run, {r["id"]: r for r in json.loads(out.read_text())["results"]}


@pytest.mark.bench
def test_bench_quick_run_writes_results(tmp_path: Path) -> None:
    """Test that `python -m bench --quick` measures against same-run baselines and writes its JSON."""
    run, rows = quick(tmp_path, "B1,B3")  # a missed target is fine here: the smoke run checks the machinery
    assert list(rows) == ["B1", "B3"]
    for row in rows.values():
        assert row["baseline_median"] > 0 and row["candidate_median"] > 0 and row["samples"] >= 3
        assert row["value"] == round(row["candidate_median"] / row["baseline_median"], 3) or abs(
            row["value"] - row["candidate_median"] / row["baseline_median"]) < 0.01
    assert "B1 " in run.stdout and "B3 " in run.stdout


# The batch cases one per test, so the smoke runs spread over CI's workers (together they took 26 s of one).
@pytest.mark.bench
def test_batch_pace_holds(tmp_path: Path) -> None:
    """Test that B14 runs in a quick run and paces within 5% with no duplicate."""
    row = quick(tmp_path, "B14")[1]["B14"]
    assert 0.95 <= row["value"] <= 1.05 and row["pass"]


@pytest.mark.bench
def test_waiting_items_are_sent_once_after_a_sigkill(tmp_path: Path) -> None:
    """Test that B15 runs in a quick run and sends every waiting item exactly once after a SIGKILL."""
    row = quick(tmp_path, "B15")[1]["B15"]
    assert row["value"] == 1.0 and row["pass"]


@pytest.mark.bench
def test_a_create_rerun_with_craft_is_measured(tmp_path: Path) -> None:
    """Test that B16 runs in a quick run and measures a ratio against its hello-world baseline."""
    row = quick(tmp_path, "B16")[1]["B16"]
    assert row["candidate_median"] > row["baseline_median"] > 0


@pytest.mark.bench
def test_cut_benchmark_b23_holds(tmp_path: Path) -> None:
    """Test that B23 runs in a quick run and holds: with in and out points off the frame grid, the cut's length is
    the trimmed takes less the crossfades within half a frame (rounded once, on the cut's timeline), and every frame
    decodes (no ffmpeg needed)."""
    run, rows = quick(tmp_path, "B23")
    assert run.returncode == 0, run.stdout + run.stderr
    [row] = rows.values()
    assert (row["id"], row["pass"]) == ("B23", True) and 0.0 <= row["value"] <= 0.5, row


def test_a_baseline_that_cannot_run_is_reported_as_skipped() -> None:
    """Test that a case without its baseline (B22 where Debian's ffmpeg is not installed) is shown as skipped,
    never as a ratio against nothing."""
    from bench.cases import CASES, summarise

    [case] = [c for c in CASES if c.id == "B22"]
    row = summarise(case, [2.0, 3.0], [])
    assert (row["shown"], row["value"], row["baseline_median"], row["skipped"]) == (
        "no baseline", None, None, "baseline not available")

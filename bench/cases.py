"""The benchmark cases, in one table. Each returns (candidate, baseline) samples, measured interleaved in one run."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

from bench.app import b2_history_at_scale, b4_cold_start, b5_create_rerun, b6_session_memory, b17_export_memory
from bench.batch import b14_batch_pace, b15_kill_and_restart, b16_create_rerun_with_craft
from bench.core import b1_client_overhead, b3_parallel_lookups
from bench.cuts import b22_cut_memory, b22_cut_time, b23_cut_exact
from bench.review import b20_note_pin, b21_board_with_notes, b24_board_draw
from bench.server import b18_first_frame, b18_seek, b18_server_memory, b19_metrics, b19_readyz
from bench.showcase import b11_gallery_at_scale, b12_gallery_bytes, b13_present_next
from bench.storage import b9_copy_video, b10_upload_image
from bench.team import b7_history_on_postgres, b8_lookups_across_replicas


@dataclass
class Case:
    id: str
    what: str
    baseline: str
    target: float
    unit: str
    run: Callable[[bool], tuple[list[float], list[float]]]
    """Takes ``quick``; returns candidate and baseline samples."""
    lower: float = 0.0
    """The result must also be at least this (B14: a pace held within 5% both ways)."""


CASES = [
    Case("B1", "client create+get, 500 pairs, sandbox", "bare requests.Session, same bytes", 1.15, "s",
         b1_client_overhead),
    Case("B2", "History render (AppTest), 100,000 records", "same page, 100 records", 1.3, "s", b2_history_at_scale),
    Case("B3", "live refresh of 25 tasks, 300 ms lookups", "one lookup", 2.0, "s", b3_parallel_lookups),
    Case("B4", "streamlit run app.py → Create rendered in Chromium", "hello-world app", 1.3, "s", b4_cold_start),
    Case("B5", "Create rerun after a prompt change (AppTest)", "hello-world rerun", 3.0, "s", b5_create_rerun),
    Case("B6", "RSS per extra History session (10 sessions)", "1-session server RSS (MB, context)", 15.0, "MB",
         b6_session_memory),
    Case("B7", "History render (AppTest), 1,000,000 records on PostgreSQL", "same page, 100 records", 1.3, "s",
         b7_history_on_postgres),
    Case("B8", "lookups per task per minute, 3 replicas on one PostgreSQL", "1 replica", 1.1, "/min",
         b8_lookups_across_replicas),
    Case("B9", "copy of a 24 MB video (40 MB/s source) to local and S3", "bare requests download to a file", 1.5,
         "s", b9_copy_video),
    Case("B10", "upload of a 10 MB photo to S3 (check, strip, store, sign)", "bare boto3 put_object, same bytes", 1.5,
         "s", b10_upload_image),
    Case("B11", "Gallery in Chromium until posters load, 10,000 takes", "same page, 24 takes", 1.3, "s",
         b11_gallery_at_scale),
    Case("B12", "MB fetched for the Gallery's first page (app known)", "first-ever visit (MB, context)", 1.5, "MB",
         b12_gallery_bytes),
    Case("B13", "Present: Next until the next video plays (Chromium)", "hello-world button rerun", 3.0, "s",
         b13_present_next),
    Case("B14", "200-item batch at 60/min vs the sandbox (0 duplicates)", "the set pace, 60/min", 1.05, "/min",
         b14_batch_pace, lower=0.95),
    Case("B15", "SIGKILL mid-batch, restart: waiting items sent once", "each exactly once (1.0)", 1.0, "ratio",
         b15_kill_and_restart, lower=1.0),
    Case("B16", "Create rerun with prompt builder and variants shown", "hello-world rerun", 3.0, "s",
         b16_create_rerun_with_craft),
    Case("B17", "export of 1,000,000 records (CSV, JSON): extra peak", "process RSS before (MB, context)", 64.0, "MB",
         b17_export_memory),
    Case("B18", "stored 150 MB video: time to first frame via /files", "bare Starlette FileResponse", 1.2, "s",
         b18_first_frame),
    Case("B18m", "server RSS growth, 4 browsers play 4 stored 150 MB videos", "server RSS before (MB, context)",
         16.0, "MB", b18_server_memory),
    Case("B18s", "MB fetched to seek a 150 MB stored video to its last second", "bare FileResponse (MB, context)",
         4.0, "MB", b18_seek),
    Case("B19", "/readyz on PostgreSQL (ms)", "/healthz (ms, context)", 20.0, "ms", b19_readyz),
    Case("B19m", "/metrics with 100,000 tasks on PostgreSQL (ms)", "/healthz (ms, context)", 50.0, "ms",
         b19_metrics),
    Case("B20", "Note at … until listed with its frame's picture (Chromium)", "Post comment until listed", 1.5, "s",
         b20_note_pin),
    Case("B21", "board of 50 takes, 500 notes, drawn in Chromium", "same board, no notes", 1.3, "s",
         b21_board_with_notes),
    Case("B22", "cut of 10 takes, 5 s 1280×720, 0.5 s crossfades", "Debian's ffmpeg, same codec/preset/filters",
         1.2, "s", b22_cut_time),
    Case("B22m", "peak extra memory while making that cut", "process RSS before (MB, context)", 300.0, "MB",
         b22_cut_memory),
    Case("B23", "cut length vs trimmed takes less crossfades; all decode", "one frame", 1.0, "frames",
         b23_cut_exact),
    Case("B24", "board of 50 takes drawn in Chromium (forms on request)", "same server, board of 5 takes", 3.0, "s",
         b24_board_draw),
]


def summarise(case: Case, candidate: list[float], baseline: list[float]) -> dict[str, object]:
    if not baseline:  # a baseline that cannot run here (B22 without ffmpeg): said, not failed, not guessed
        med_c = statistics.median(candidate)
        return {"id": case.id, "what": case.what, "baseline": case.baseline, "unit": case.unit,
                "candidate_median": round(med_c, 4), "candidate_spread": [round(min(candidate), 4),
                                                                          round(max(candidate), 4)],
                "baseline_median": None, "baseline_spread": [], "samples": len(candidate), "value": None,
                "shown": "no baseline", "target": case.target, "pass": True, "skipped": "baseline not available"}
    med_c, med_b = statistics.median(candidate), statistics.median(baseline)
    if case.id == "B6":
        value, ratio_text = med_c, f"{med_c:.1f} MB/session"
    elif case.unit == "MB":
        value, ratio_text = max(candidate), f"{max(candidate):.1f} MB"
    elif case.unit == "frames":  # an absolute tolerance; the baseline (one frame) is context
        value, ratio_text = max(candidate), f"{max(candidate):.2f} frames"
    elif case.unit == "ms":  # an absolute budget; the baseline is context
        value, ratio_text = med_c, f"{med_c:.1f} ms"
    else:
        value, ratio_text = med_c / med_b, f"{med_c / med_b:.2f}×"
    return {
        "id": case.id, "what": case.what, "baseline": case.baseline, "unit": case.unit,
        "candidate_median": round(med_c, 4), "candidate_spread": [round(min(candidate), 4), round(max(candidate), 4)],
        "baseline_median": round(med_b, 4), "baseline_spread": [round(min(baseline), 4), round(max(baseline), 4)],
        "samples": len(candidate), "value": round(value, 3), "shown": ratio_text, "target": case.target,
        "pass": case.lower <= value <= case.target,
    }

"""Reading a batch of prompts from a spreadsheet's CSV: every row checked first, with its problems by row and field.

Columns: ``prompt`` (required), ``duration``, ``ratio``, ``model``, ``image_url``, ``last_frame_url``. A header row is
required; UTF-8 with or without a byte-order mark; comma or semicolon separated (as spreadsheets in many locales
save it). Row numbers are the spreadsheet's own (the header is row 1).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from .models import DEFAULT_DURATION, DEFAULT_RATIO, VideoRequest

COLUMNS = ("prompt", "duration", "ratio", "model", "image_url", "last_frame_url")
MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024
# Validation names fields the way the form does; a spreadsheet names them by column.
_FIELD_COLUMNS = {"Prompt": "prompt", "Duration": "duration", "Aspect ratio": "ratio", "Model": "model",
                  "Image URL": "image_url", "First frame URL": "image_url", "Last frame URL": "last_frame_url",
                  "Images": "image_url"}


@dataclass(frozen=True)
class RowProblem:
    row: int
    """The spreadsheet's row number (0 for the file itself)."""
    field: str
    """The column the problem is in."""
    problem: str


@dataclass(frozen=True)
class ParsedBatch:
    requests: list[tuple[int, VideoRequest]] = field(default_factory=list)
    """The valid rows, with their row numbers."""
    problems: list[RowProblem] = field(default_factory=list)
    rows: int = 0
    """Data rows read (blank ones not counted)."""

    @property
    def skipped_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems if p.row > 1})  # row 1 is the header: a note, not a skip


def parse_csv(data: bytes, models: Sequence[str]) -> ParsedBatch:
    """Every row checked; nothing is queued here."""
    if len(data) > MAX_BYTES:
        return ParsedBatch(problems=[RowProblem(0, "file", f"is {len(data) / 2**20:.1f} MB; split it into files "
                                                            f"of {MAX_BYTES // 2**20} MB or less.")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ParsedBatch(problems=[RowProblem(0, "file", "is not UTF-8 text; save it as “CSV UTF-8” and try "
                                                           "again.")])
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    if "prompt" not in header:
        return ParsedBatch(problems=[RowProblem(1, "header", "the first row must name the columns, with at least "
                                                             "“prompt” (also: " + ", ".join(COLUMNS[1:]) + ").")])
    problems = [RowProblem(1, name, f"is not a column this app reads (it reads {', '.join(COLUMNS)}); it is "
                                    "ignored.") for name in header if name and name not in COLUMNS]
    requests: list[tuple[int, VideoRequest]] = []
    rows = 0
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        rows += 1
        if rows > MAX_ROWS:
            problems.append(RowProblem(number, "file", f"more than {MAX_ROWS:,} rows; split the file."))
            break
        row = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
        request, row_problems = _row(number, row, models)
        if row_problems:
            problems += row_problems
        else:
            requests.append((number, request))
    return ParsedBatch(requests, problems, rows)


def _row(number: int, row: dict[str, str], models: Sequence[str]) -> tuple[VideoRequest, list[RowProblem]]:
    found: list[RowProblem] = []
    duration: object = DEFAULT_DURATION
    if row.get("duration"):
        raw = row["duration"]
        duration = int(raw) if raw.isdigit() else raw
    images = tuple(url for url in (row.get("image_url", ""), row.get("last_frame_url", "")) if url)
    if row.get("last_frame_url") and not row.get("image_url"):
        found.append(RowProblem(number, "image_url", "a last frame needs a first frame too: fill in image_url."))
    request = VideoRequest(row.get("prompt", ""), row.get("model") or models[0], duration,  # type: ignore[arg-type]
                           row.get("ratio") or DEFAULT_RATIO, images)
    for problem in request.problems(models):
        label, _, text = problem.partition(": ")
        found.append(RowProblem(number, _FIELD_COLUMNS.get(label, label.lower()), text))
    return request, found

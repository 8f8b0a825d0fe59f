"""Reading a batch of prompts from a spreadsheet's CSV: every row checked first, with its problems by row and field.

Columns: ``prompt`` (required), ``duration``, ``ratio``, ``model``, ``image_url``, ``last_frame_url``. A header row is
required; UTF-8 with or without a byte-order mark; comma or semicolon separated (as spreadsheets in many locales
save it). Row numbers are the spreadsheet's own (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from .models import DEFAULT_DURATION, DEFAULT_RATIO, MAX_PROMPT_CHARS, VideoRequest, whole_number

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
    """Every row checked; nothing is queued here.

    Never raises, whatever the bytes: a file that cannot be read at all is one problem on row 0 (field ``file``),
    a bad header one on row 1 (field ``header`` or the column), and everything else a problem on its row, naming
    its column.
    """
    if len(data) > MAX_BYTES:
        return ParsedBatch(problems=[RowProblem(0, "file", f"is {len(data) / 2**20:.1f} MB; split it into files "
                                                            f"of {MAX_BYTES // 2**20} MB or less.")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ParsedBatch(problems=[RowProblem(0, "file", "is not UTF-8 text; save it as “CSV UTF-8” and try "
                                                           "again.")])
    # Lines as the csv module counts them: \r\n, \n and a lone \r (old Mac spreadsheets) each end one.
    lines = io.StringIO(text, newline="").readlines()
    first_line = lines[0] if lines else ""
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    records = _records(lines, delimiter)
    header, problems = _header(next(records, (1, []))[1])
    if header is None:
        return ParsedBatch(problems=problems)
    return _rows(records, header, problems, models)


def _header(cells: list[str] | _Unreadable) -> tuple[list[str] | None, list[RowProblem]]:
    """The column names, and the notes on row 1; None with the problems when nothing can be read by them."""
    if isinstance(cells, _Unreadable):
        return None, [RowProblem(1, "header", cells.problem)]
    header = [h.strip().lower() for h in cells]
    if "prompt" not in header:
        return None, [RowProblem(1, "header", "the first row must name the columns, with at least “prompt” (also: "
                                              + ", ".join(COLUMNS[1:]) + ").")]
    twice = sorted({name for name in header if name in COLUMNS and header.count(name) > 1})
    if twice:  # which of the two is meant? Guessing could send the wrong prompts
        return None, [RowProblem(1, name, "is the name of two columns; keep one of them.") for name in twice]
    return header, [RowProblem(1, name, f"is not a column this app reads (it reads {', '.join(COLUMNS)}); it is "
                                        "ignored.") for name in header if name and name not in COLUMNS]


def _rows(records: Iterator[tuple[int, list[str] | _Unreadable]], header: list[str], problems: list[RowProblem],
          models: Sequence[str]) -> ParsedBatch:
    requests: list[tuple[int, VideoRequest]] = []
    rows = 0
    for number, cells in records:
        if isinstance(cells, _Unreadable):
            rows += 1
            problems.append(RowProblem(number, _column(header, cells.column), cells.problem))
            continue
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


@dataclass(frozen=True)
class _Unreadable:
    """A row the csv module could not read, and the column it went wrong in."""

    column: int
    problem: str


def _records(lines: list[str], delimiter: str) -> Iterator[tuple[int, list[str] | _Unreadable]]:
    """Each record with its spreadsheet row number (a cell may span lines; a row is one record).

    The csv module gives up on a cell over its limit (128 KB) and, outside strict mode, reads an unclosed quote as
    one cell running to the end of the file. Both are reported on the row they start in; after an over-long cell,
    reading goes on from where that row really ends.
    """
    number, line = 0, 0
    while line < len(lines):
        reader = csv.reader(lines[line:], delimiter=delimiter)
        start = line
        try:
            for cells in reader:
                number += 1
                record_start, start = start, line + reader.line_num
                shape = _shape(lines[record_start:], delimiter) if start == len(lines) else None
                yield number, (_unclosed(shape) if shape and shape.quoted else cells)
            return
        except csv.Error as exc:
            number += 1
            shape = _shape(lines[start:], delimiter)
            line = start + shape.lines
            yield number, _unclosed(shape) if shape.quoted else _too_long(shape, exc)


@dataclass(frozen=True)
class _Shape:
    lengths: list[int]
    """The length of each cell."""
    lines: int
    """How many lines the record takes."""
    quoted: bool
    """True when it ends inside a quote: the quote was never closed."""


_SPECIAL = {delimiter: re.compile(f'[{re.escape(delimiter)}"\r\n]') for delimiter in ",;"}


def _shape(lines: list[str], delimiter: str) -> _Shape:
    """The shape of the first record of ``lines``, read by the csv module's own rules (a quote opens a cell only at
    its start, \"\" inside a quoted cell is one quote, text after the closing quote joins the cell)."""
    special = _SPECIAL[delimiter]
    lengths: list[int] = []
    length, quoted, at_start = 0, False, True
    for used, text in enumerate(lines, start=1):
        i = 0
        while i < len(text):
            if quoted:
                end = text.find('"', i)
                if end < 0:
                    length += len(text) - i
                    break
                length += end - i
                doubled = text.startswith('"', end + 1)
                length, quoted, i = length + doubled, doubled, end + 1 + doubled
                continue
            match = special.search(text, i)
            end = match.start() if match else len(text)
            if end > i:
                length, at_start = length + end - i, False
            if match is None:
                break
            i = end + 1
            if match.group() == '"':
                quoted, length, at_start = at_start, length + (not at_start), False
            elif match.group() == delimiter:
                lengths.append(length)
                length, at_start = 0, True
            else:
                return _Shape([*lengths, length], used, False)
    return _Shape([*lengths, length], len(lines), quoted)


def _unclosed(shape: _Shape) -> _Unreadable:
    return _Unreadable(len(shape.lengths) - 1, "a quote (\") opened in this cell is never closed, so the rest of the "
                                               "file was read into it. Close the quote or remove it.")


def _too_long(shape: _Shape, exc: csv.Error) -> _Unreadable:
    limit = csv.field_size_limit()
    column = next((i for i, n in enumerate(shape.lengths) if n > limit), len(shape.lengths) - 1)
    if "field limit" not in str(exc):  # the only error the reader raises outside strict mode, today
        return _Unreadable(column, f"this row cannot be read as CSV ({exc}).")
    return _Unreadable(column, f"has more than {limit:,} characters; no column takes that much (a prompt is at "
                               f"most {MAX_PROMPT_CHARS:,}). Shorten it.")


def _column(header: list[str], index: int) -> str:
    return header[index] if 0 <= index < len(header) and header[index] else f"column {index + 1}"


def _row(number: int, row: dict[str, str], models: Sequence[str]) -> tuple[VideoRequest, list[RowProblem]]:
    found: list[RowProblem] = []
    duration: object = DEFAULT_DURATION
    if row.get("duration"):
        raw = row["duration"]
        parsed = whole_number(raw)
        duration = raw if parsed is None else parsed
    images = tuple(url for url in (row.get("image_url", ""), row.get("last_frame_url", "")) if url)
    if row.get("last_frame_url") and not row.get("image_url"):
        found.append(RowProblem(number, "image_url", "a last frame needs a first frame too: fill in image_url."))
    request = VideoRequest(row.get("prompt", ""), row.get("model") or models[0],
                           duration,  # type: ignore[arg-type]  # text that is no number is kept: problems() names it
                           row.get("ratio") or DEFAULT_RATIO, images)
    for problem in request.problems(models):
        label, _, text = problem.partition(": ")
        found.append(RowProblem(number, _FIELD_COLUMNS.get(label, label.lower()), text))
    return request, found

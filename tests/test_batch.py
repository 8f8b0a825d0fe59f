"""A CSV of prompts: every row checked before anything is queued, problems named by row and column."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starvideos.batch import COLUMNS, MAX_BYTES, RowProblem, parse_csv
from starvideos.models import VideoRequest

MODELS = ("starvideos_v3",)


def test_comma_file_with_every_column() -> None:
    """Test that every column is read into the request, with row numbers as the spreadsheet shows them."""
    data = (b"prompt,duration,ratio,model,image_url,last_frame_url\n"
            b"A fox in snow,8,9:16,starvideos_v3,,\n"
            b"\"Waves, at night\",3,16:9,,https://e.com/a.png,\n"
            b"Morph,5,16:9,,https://e.com/a.png,https://e.com/b.png\n")
    parsed = parse_csv(data, MODELS)
    assert parsed.problems == [] and parsed.rows == 3
    assert parsed.requests == [
        (2, VideoRequest("A fox in snow", "starvideos_v3", 8, "9:16")),
        (3, VideoRequest("Waves, at night", "starvideos_v3", 3, "16:9", ("https://e.com/a.png",))),
        (4, VideoRequest("Morph", "starvideos_v3", 5, "16:9", ("https://e.com/a.png", "https://e.com/b.png")))]
    assert parsed.requests[1][1].to_payload()["images"] == ["https://e.com/a.png"]


def test_semicolon_file_with_bom_and_defaults() -> None:
    """Test that a spreadsheet's UTF-8 export with a byte-order mark and semicolons reads the same, and missing
    columns take the API's defaults."""
    data = "\ufeffPrompt;Ratio\nCafé à Paris, à l'aube;9:16\n\n;\nUn chat;\n".encode()
    parsed = parse_csv(data, MODELS)
    assert parsed.problems == [] and parsed.rows == 2  # blank lines are not rows
    assert [(n, r.prompt, r.duration, r.ratio) for n, r in parsed.requests] == [
        (2, "Café à Paris, à l'aube", 5, "9:16"), (5, "Un chat", 5, "16:9")]


def test_problems_by_row_and_column_and_valid_rows_kept() -> None:
    """Test that each bad cell is reported with its row and column and a fix, and the good rows are still ready."""
    data = (b"prompt,duration,ratio,model,image_url,last_frame_url,notes\n"
            b"ok,5,16:9,,,,\n"
            b",5,16:9,,,,\n"
            b"long,20,16:9,,,,\n"
            b"square,5,1:1,,,,\n"
            b"two,five,16:9,,,,\n"
            b"last only,5,16:9,,,https://e.com/b.png,\n"
            b"bad link,5,16:9,,file:///etc/passwd,,\n"
            b"who,5,16:9,other_model,,,\n")
    parsed = parse_csv(data, MODELS)
    assert [n for n, _ in parsed.requests] == [2]
    by_row = {(p.row, p.field): p.problem for p in parsed.problems}
    assert by_row[(1, "notes")].startswith("is not a column this app reads")
    assert set(by_row) == {(1, "notes"), (3, "prompt"), (4, "duration"), (5, "ratio"), (6, "duration"),
                           (7, "image_url"), (8, "image_url"), (9, "model")}
    assert "15" in by_row[(4, "duration")] and "16:9" in by_row[(5, "ratio")]
    assert by_row[(7, "image_url")] == "a last frame needs a first frame too: fill in image_url."
    assert parsed.skipped_rows == [3, 4, 5, 6, 7, 8, 9]


@pytest.mark.parametrize(("data", "problem"), [
    (b"text,duration\nhello,5\n", RowProblem(1, "header", "the first row must name the columns, with at least "
                                                          "\u201cprompt\u201d (also: duration, ratio, model, "
                                                          "image_url, last_frame_url).")),
    (b"", RowProblem(1, "header", "the first row must name the columns, with at least \u201cprompt\u201d (also: "
                                  "duration, ratio, model, image_url, last_frame_url).")),
    ("prompt\nCaf\u00e9\n".encode("latin-1"), RowProblem(0, "file", "is not UTF-8 text; save it as \u201cCSV UTF-8"
                                                                    "\u201d and try again.")),
    (b"prompt\n" + b"x" * (MAX_BYTES + 1), RowProblem(0, "file", "is 5.0 MB; split it into files of 5 MB or less.")),
])
def test_file_level_problems_queue_nothing(data: bytes, problem: RowProblem) -> None:
    """Test that a file without a prompt header, in another encoding, or too big is refused as a whole."""
    parsed = parse_csv(data, MODELS)
    assert parsed.problems == [problem] and parsed.requests == []


def test_a_duration_of_superscript_two_is_a_problem_on_its_row() -> None:
    """Test that a duration of '²' (a digit to str.isdigit, not to int) or 5,000 digits is a problem on its row and
    column, and a spreadsheet's "7.0" is 7."""
    data = "prompt,duration\nsquared,²\nlong,{}\nspreadsheet,7.0\n".format("1" * 5000).encode()
    parsed = parse_csv(data, MODELS)
    assert [(n, r.duration) for n, r in parsed.requests] == [(4, 7)]
    assert [(p.row, p.field, p.problem) for p in parsed.problems] == [
        (2, "duration", "must be a whole number of seconds from 3 to 15 (got '²')."),
        (3, "duration", "must be a whole number of seconds from 3 to 15 (got '" + "1" * 36 + "...)."),
    ]


def test_a_cell_over_the_csv_limit_is_a_problem_on_its_row_and_reading_goes_on() -> None:
    """Test that a cell over the csv module's 128 KB limit (quoted across lines or not) is reported on its row and
    column, and the rows after it are still read from where that row really ends."""
    huge = "x" * 140_000
    data = (f"prompt,duration,image_url\nbefore,5,\n\"{huge}\nstill the same cell\",5,\nafter,6,\n"
            f"link,5,https://e.com/{huge}\nlast,7,\n").encode()
    parsed = parse_csv(data, MODELS)
    assert [(n, r.prompt, r.duration) for n, r in parsed.requests] == [(2, "before", 5), (4, "after", 6),
                                                                       (6, "last", 7)]
    assert [(p.row, p.field, p.problem) for p in parsed.problems] == [
        (3, "prompt", "has more than 131,072 characters; no column takes that much (a prompt is at most 5,000). "
                      "Shorten it."),
        (5, "image_url", "has more than 131,072 characters; no column takes that much (a prompt is at most 5,000). "
                         "Shorten it.")]
    assert parsed.rows == 5 and parsed.skipped_rows == [3, 5]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_a_quote_never_closed_is_a_problem_on_the_row_it_opens(newline: str) -> None:
    """Test that a quote never closed is reported on the row and column where it opens (the rest of the file is not
    read as prompts), whatever the line endings, and the rows before it are ready."""
    data = newline.join(["prompt;ratio", "fine;9:16", 'cut;"16:9', "lost;16:9", ""]).encode()
    parsed = parse_csv(data, MODELS)
    assert [(n, r.prompt, r.ratio) for n, r in parsed.requests] == [(2, "fine", "9:16")]
    assert parsed.problems == [RowProblem(3, "ratio", "a quote (\") opened in this cell is never closed, so the rest "
                                                      "of the file was read into it. Close the quote or remove it.")]
    header_only = parse_csv(b'"prompt,duration\ncat,5\n', MODELS)
    assert [(p.row, p.field) for p in header_only.problems] == [(1, "header")] and header_only.requests == []


def test_a_column_named_twice_queues_nothing() -> None:
    """Test that a header naming a column twice (whatever the case) is refused: which prompt is meant is unclear."""
    parsed = parse_csv(b"Prompt,duration,PROMPT\ncat,5,dog\n", MODELS)
    assert parsed.problems == [RowProblem(1, "prompt", "is the name of two columns; keep one of them.")]
    assert parsed.requests == []


def test_a_quoted_cell_across_lines_and_text_after_its_quote_read_as_a_spreadsheet_does() -> None:
    """Test that a closed quote spanning lines is one cell on one row, and a doubled quote is one quote."""
    data = b'prompt,duration\n"two\nlines, one cell",5\n"She said ""go""",6\nnext,7\n'
    parsed = parse_csv(data, MODELS)
    assert parsed.problems == []
    assert [(n, r.prompt) for n, r in parsed.requests] == [(2, "two\nlines, one cell"), (3, 'She said "go"'),
                                                          (4, "next")]


# Property-based: whatever a spreadsheet (or anything else) writes, parse_csv answers with problems, never raises.

_AWKWARD = ["²", "٣", "7.0", "-5", "5", "9:16", '"', '""', '"x', 'a"b', "\r", "\n", "\r\n", ";", ",", "=1+1", "\x00",
            "\ufeff", " ", "starvideos_v3", "https://e.com/a.png", "file:///etc/passwd", "x" * 140_000]
_CELLS = st.one_of(st.text(max_size=30), st.sampled_from(_AWKWARD))
_HEADERS = st.lists(st.sampled_from([*COLUMNS, "PROMPT", "notes", ""]), min_size=1, max_size=7, unique=True)


def _check_problems(parsed: object, records: int) -> None:
    """Every problem names a row (0 the file, 1 the header) and a field; ready rows are valid and problem-free."""
    for problem in parsed.problems:  # type: ignore[attr-defined]
        assert isinstance(problem, RowProblem)
        assert isinstance(problem.row, int) and 0 <= problem.row <= records
        assert isinstance(problem.field, str) and problem.field.strip()
        assert isinstance(problem.problem, str) and problem.problem.strip()
    ready = [n for n, _ in parsed.requests]  # type: ignore[attr-defined]
    assert len(ready) == len(set(ready)) and not set(ready) & set(parsed.skipped_rows)  # type: ignore[attr-defined]
    for _number, request in parsed.requests:  # type: ignore[attr-defined]
        request.to_payload(MODELS)  # raises ValidationError if a row with a problem slipped through


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_any_bytes_give_problems_never_an_exception(data: bytes) -> None:
    """Test that parse_csv on any bytes at all returns, with every problem naming a row and a field."""
    parsed = parse_csv(data, MODELS)
    _check_problems(parsed, records=data.count(b"\n") + data.count(b"\r") + 2)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(header=_HEADERS, rows=st.lists(st.lists(_CELLS, max_size=8), max_size=8), delimiter=st.sampled_from(",;"),
       newline=st.sampled_from(["\n", "\r\n", "\r"]), quote_all=st.booleans(), bom=st.booleans(),
       cut=st.one_of(st.none(), st.integers(min_value=0)))
def test_spreadsheet_rows_give_a_request_or_a_problem_per_row(header: list[str], rows: list[list[str]],
                                                               delimiter: str, newline: str, quote_all: bool,
                                                               bom: bool, cut: int | None) -> None:
    """Test that for CSV files as spreadsheets write them (either separator, any line ending, awkward cells, some
    cut short anywhere), parse_csv never raises, every problem names a row and a field, and in an uncut file with
    a prompt column every non-blank row is either ready (with its prompt) or has a problem on its own row."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline,
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    text = out.getvalue()
    if cut is not None:
        text = text[:cut % (len(text) + 1)]
    data = ("\ufeff" if bom else "") + text
    parsed = parse_csv(data.encode(), MODELS)
    _check_problems(parsed, records=len(text.splitlines()) + 1)
    columns = [name.lower() for name in header]
    if cut is not None or "prompt" not in columns or len(columns) < 2 or len(set(columns)) < len(columns):
        return  # one column cannot tell the separator; a cut file may end anywhere; a column twice reads nothing
    if not quote_all and any(ch in cell and ch not in newline for row in rows for cell in row for ch in "\r\n"):
        return  # Python's writer leaves a line break unquoted when it is not its own line ending: not a CSV
    ready = dict(parsed.requests)
    with_problems = {p.row for p in parsed.problems}
    for number, cells in enumerate(rows, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        assert number in ready or number in with_problems, (number, cells)
        if number in ready:
            assert ready[number].prompt == cells[columns.index("prompt")].strip()

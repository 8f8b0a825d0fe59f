"""A CSV of prompts: every row checked before anything is queued, problems named by row and column."""

from __future__ import annotations

import pytest

from starvideos.batch import MAX_BYTES, RowProblem, parse_csv
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

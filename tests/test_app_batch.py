"""AppTest: the prompt builder, team presets, variants with their count and cost, the Batch page's CSV check and
"Queue all", the queue's Pause/Resume/Cancel pending, the Usage page, and the budget refusing before anything is
recorded."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import runtime
from starvideos.models import LIVE, TaskStatus, VideoRequest
from tests.apptest_support import new_app, plain, texts

CSV = (b"\xef\xbb\xbfprompt;duration;ratio\n"
       b"A red fox runs through snow;5;16:9\n"
       b"A lighthouse in a storm;8;9:16\n"
       b";5;16:9\n"
       b"Too long;30;16:9\n")


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def page(path: str, at: AppTest | None = None) -> AppTest:
    at = at or new_app().run()
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def priced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STARVIDEOS_PRICE_PER_SECOND", "0.05")
    monkeypatch.setenv("STARVIDEOS_CURRENCY", "EUR")


def test_builder_composes_an_editable_prompt(app_env: Path) -> None:
    """Test that Subject, Action, Camera and Style compose the prompt, which stays editable."""
    at = new_app().run()
    assert not [w for w in at.text_input if str(w.key).startswith("builder_")]  # drawn only when opened
    at.session_state["builder_panel"] = True
    at.run()
    assert [at.text_input(key=f"builder_{k}").label for k in ("subject", "action", "camera", "style")] == [
        "Subject", "Action", "Camera", "Style"]
    at.text_input(key="builder_subject").set_value("a red fox")
    at.text_input(key="builder_action").set_value("runs  through fresh snow")
    at.text_input(key="builder_style").set_value("golden hour, cinematic")
    next(b for b in at.button if b.label == "Use as prompt").click().run()
    assert at.text_area(key="form_prompt").value == "A red fox, runs through fresh snow, golden hour, cinematic."
    at.text_area(key="form_prompt").set_value("A red fox runs through fresh snow at golden hour.").run()
    assert at.text_area(key="form_prompt").value == "A red fox runs through fresh snow at golden hour."
    assert not at.exception


def test_presets_load_and_save_for_the_team(app_env: Path) -> None:
    """Test that a shipped preset loads into the form, and the form saved as a preset is there for a new session."""
    at = new_app().run()
    at.session_state["presets_panel"] = True
    at.run()
    choice = at.selectbox(key="preset_choice")
    assert choice.options == ["Cinematic establishing shot", "Product hero shot", "Vertical social teaser"]
    choice.select("Vertical social teaser").run()
    at.button(key="preset_load").click().run()
    assert at.text_area(key="form_prompt").value.startswith("A barista pours latte art")
    assert (at.radio(key="form_ratio").value, at.selectbox(key="form_duration").value) == ("9:16", 8)
    at.text_area(key="form_prompt").set_value("Our own take")
    at.text_input(key="preset_name").set_value("Team <b>favourite</b>")
    at.button(key="preset_save").click().run()
    assert "Saved “Team <b>favourite</b>” for the whole team." in [plain(s.value) for s in at.success]
    saved = [p for p in runtime.backend().presets.all() if p.name == "Team <b>favourite</b>"]
    assert saved and saved[0].form["prompt"] == "Our own take" and saved[0].form["ratio"] == "9:16"
    other = new_app().run()
    other.session_state["presets_panel"] = True
    other.run()
    assert "Team <b>favourite</b>" in other.selectbox(key="preset_choice").options
    other.selectbox(key="preset_choice").select("Team <b>favourite</b>").run()
    other.button(key="preset_delete").click().run()
    assert "Team <b>favourite</b>" not in other.selectbox(key="preset_choice").options
    assert [p.name for p in runtime.backend().presets.all()] == [
        "Cinematic establishing shot", "Product hero shot", "Vertical social teaser"]
    assert not at.exception and not other.exception


def test_variants_show_count_and_cost_then_queue(app_env: Path, priced: None) -> None:
    """Test that Variants replaces the single duration, ratio and "Create video" with the grid's controls, shows the
    grid's count and cost before "Queue all", queues exactly that grid, and gives the single form back when off."""
    at = new_app().run()
    at.text_area(key="form_prompt").set_value("A paper boat on a stream").run()
    at.selectbox(key="form_duration").set_value(8).run()
    at.toggle(key="variants_on").set_value(True).run()
    assert at.toggle(key="variants_on").label == "Variants"
    assert not [w for w in (*at.selectbox, *at.radio) if w.key in ("form_duration", "form_ratio")]
    assert "Create video" not in [b.label for b in at.button]
    ratios, durations = [next(p for p in at.pills if p.label == label) for label in ("Ratios", "Durations (seconds)")]
    ratios.set_value(["16:9", "9:16"])
    durations.set_value([5, 10, 3])
    next(b for b in at.button_group if b.label == "Takes").set_value(2).run()
    assert "12 tasks · Estimated cost: 3.60 EUR" in [c.value for c in at.caption]  # 2 × (5+10+3) × 2 × 0.05
    queue = runtime.backend().queue
    queue.pause()  # so the rows are seen as queued, before any is sent
    next(b for b in at.button if b.label == "Queue all").click().run()
    [batch] = queue.batches()
    assert re.fullmatch(r"Variants: A paper boat on a stream · \d\d:\d\d", batch.name)
    assert f"Queued 12 tasks as “{batch.name}”. They go out at the team's pace." in [plain(s.value)
                                                                                     for s in at.success]
    assert (batch.total, batch.source) == (12, "variants") and queue.progress(batch.id) == {"pending": 12}
    assert "Queue all" not in [b.label for b in at.button]  # what was queued is not offered again as if new
    assert at.button(key="variants_again").label == "Queue again…"
    requests = [r.request for r in runtime.backend().store.list(limit=20)]
    assert sorted((r.ratio, r.duration) for r in requests) == sorted(
        [(ratio, d) for ratio in ("16:9", "9:16") for d in (3, 5, 10)] * 2)
    assert {r.prompt for r in requests} == {"A paper boat on a stream"}
    at.toggle(key="variants_on").set_value(False).run()
    assert (at.selectbox(key="form_duration").value, at.radio(key="form_ratio").value) == (8, "16:9")
    assert at.button(key="create_button").label == "Create video" and "Queue all" not in [b.label for b in at.button]


def test_variants_refuse_a_bad_form_and_a_grid_past_the_budget(app_env: Path, priced: None,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that "Queue all" queues nothing for an empty prompt or for a grid that would pass the monthly budget,
    says why, and that the Request panel shows the grid's first task as it will be sent."""
    monkeypatch.setenv("STARVIDEOS_MONTHLY_BUDGET", "1.00")
    at = new_app().run()
    at.toggle(key="variants_on").set_value(True).run()
    next(p for p in at.pills if p.label == "Durations (seconds)").set_value([10, 3]).run()
    queue_all = next(b for b in at.button if b.label == "Queue all")
    queue_all.click().run()
    assert plain(at.error[0].value).startswith("Fix the form first (nothing was queued): Prompt:")
    at.text_area(key="form_prompt").set_value("A kite over the dunes").run()
    at.session_state["request_panel"] = True
    at.run()
    assert "The exact JSON body **Queue all** will send for the grid's first task." in [c.value for c in at.caption]
    assert '"duration": 3' in at.code[0].value and '"ratio": "16:9"' in at.code[0].value
    assert "2 tasks · Estimated cost: 0.65 EUR · 1.00 EUR left of this month's 1.00 EUR budget" in [
        c.value for c in at.caption]
    next(p for p in at.pills if p.label == "Ratios").set_value(["16:9", "9:16"]).run()
    # Before any press: the estimate against what is left, and Queue all disabled with the reason.
    assert "4 tasks · Estimated cost: 1.30 EUR · 1.00 EUR left of this month's 1.00 EUR budget" in [
        c.value for c in at.caption]  # 2 × (10+3) × 0.05
    assert next(b for b in at.button if b.label == "Queue all").disabled
    assert plain(at.warning[0].value) == (
        "These 4 tasks would cost 1.30 EUR, but only 1.00 EUR is left of this month's 1.00 EUR budget "
        "(STARVIDEOS_MONTHLY_BUDGET): 0.00 EUR is already spent or queued. Remove some, or raise "
        "STARVIDEOS_MONTHLY_BUDGET.")
    b = runtime.backend()
    assert b.queue.batches() == [] and b.store.count() == 0 and b.sandbox.received("POST") == []
    assert not at.exception


def test_variants_pressed_again_or_after_a_reload_queue_once(app_env: Path) -> None:
    """Test that the same grid queued from a second session (a reload, another tab) says "Already queued as <batch>
    at <time>" instead of queueing it again, and that "Queue again" asks first and then queues one more copy."""
    runtime.backend().queue.pause()  # nothing is sent while the test looks

    def grid(at: AppTest) -> AppTest:
        at.text_area(key="form_prompt").set_value("A kite over the dunes").run()
        at.toggle(key="variants_on").set_value(True).run()
        next(p for p in at.pills if p.label == "Ratios").set_value(["16:9", "9:16"]).run()
        return at

    first = grid(new_app().run())
    next(b for b in first.button if b.label == "Queue all").click().run()
    queue = runtime.backend().queue
    [batch] = queue.batches()
    reloaded = grid(new_app().run())  # a new session: nothing remembered but the database
    stale = next(b for b in reloaded.button if b.label == "Queue all")
    stale.click().run()
    assert [b.id for b in queue.batches()] == [batch.id] and runtime.backend().store.count() == 2
    [info] = [i.value for i in reloaded.info if "Already queued" in i.value]
    assert re.fullmatch(rf"Already queued as “{re.escape(batch.name)}” at \d\d:\d\d · 0 of 2 sent or settled\.",
                        plain(info))
    reloaded.button(key="variants_again").click().run()
    assert reloaded.session_state["variants_again_name"] == f"{batch.name} (2)"
    reloaded.button(key="variants_again_confirm").click().run()
    newest, oldest = queue.batches()
    assert (oldest.id, newest.copy, newest.name, newest.total) == (batch.id, 1, f"{batch.name} (2)", 2)
    assert runtime.backend().store.count() == 4 and runtime.backend().sandbox.received("POST") == []
    assert not first.exception and not reloaded.exception


def test_csv_checked_first_then_queue_all_sends_valid_rows(app_env: Path, priced: None) -> None:
    """Test that a CSV shows its problems by row and field, queues nothing until "Queue all", then queues the valid
    rows (saying how many were skipped and why) and sends each once."""
    at = page("pages/batch.py")
    b = runtime.backend()
    at.file_uploader(key="batch_csv").upload("launch.csv", CSV, "text/csv").run()
    assert not at.exception
    assert at.subheader[0].value == "4 rows: 2 ready, 2 with problems"
    problems = at.dataframe[0].value
    assert problems.to_dict("records") == [
        {"Row": 4, "Field": "prompt", "Problem": problems["Problem"][0]},
        {"Row": 5, "Field": "duration", "Problem": problems["Problem"][1]}]
    assert "describe the video" in problems["Problem"][0] and "15" in problems["Problem"][1]
    assert "2 tasks · Estimated cost: 0.65 EUR" in [c.value for c in at.caption]
    assert b.store.count() == 0 and b.queue.batches() == []
    assert re.fullmatch(r"launch · \d\d:\d\d", at.text_input(key="batch_name").value)  # editable
    at.text_input(key="batch_name").set_value("Launch <b>teasers</b>").run()
    at.button(key="batch_queue").click().run()
    assert plain(at.success[0].value) == ("Queued 2 tasks as “Launch <b>teasers</b>”; skipped 2 rows with problems "
                                          "(rows 4, 5; see the table above). They go out at the team's pace.")
    wait_for(lambda: b.store.counts_by_status().get("pending", 0) == 0 and b.store.count() == 2)
    wait_for(lambda: len(b.sandbox.received("POST")) == 2)
    assert sorted(r.body["prompt"] for r in b.sandbox.received("POST")) == [
        "A lighthouse in a storm", "A red fox runs through snow"]


def test_queue_panel_pause_resume_cancel(app_env: Path) -> None:
    """Test that Pause holds the queue for everyone, Cancel pending cancels what waits, Resume opens it again."""
    at = page("pages/batch.py")
    queue = runtime.backend().queue
    at.button(key="queue_pause").click().run()
    assert queue.state().paused
    at.file_uploader(key="batch_csv").upload("two.csv", b"prompt\none\ntwo\n", "text/csv").run()
    at.button(key="batch_queue").click().run()
    at.run()
    assert "The queue is paused; 2 tasks waiting." in [w.value for w in at.warning]
    [batch] = queue.batches()
    assert queue.progress(batch.id) == {"pending": 2}
    at.button(key="queue_cancel").click().run()
    assert queue.progress(batch.id) == {"cancelled": 2} and queue.waiting() == 0
    at.button(key="queue_resume").click().run()
    assert not queue.state().holding()
    assert len(runtime.backend().sandbox.received("POST")) == 0
    assert "2 cancelled" in " ".join(c.value for c in at.caption)


def test_usage_page_and_budget_refusal(app_env: Path, priced: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that Usage shows this month against the budget; that Create shows the estimate against what is left and
    is disabled, with the figures, once a create cannot fit; and that a create from a page drawn before the budget
    ran out is refused with the figures, nothing recorded and nothing sent."""
    import starvideos.estimates

    class StillClock:  # the page's reading of the month never ages in this test
        time = staticmethod(time.time)
        monotonic = staticmethod(lambda: 1000.0)

    monkeypatch.setattr(starvideos.estimates, "time", StillClock)
    monkeypatch.setenv("STARVIDEOS_MONTHLY_BUDGET", "0.30")
    at = new_app().run()
    at.text_area(key="form_prompt").set_value("A cat surfing").run()
    assert "Estimated cost: 0.25 EUR · 0.30 EUR left of this month's 0.30 EUR budget" in [c.value for c in at.caption]
    b = runtime.backend()
    # Another replica queues 5 s meanwhile: this page still shows its last reading, and the press reads afresh.
    # The queue is paused while it waits, so this process's worker cannot send it before it is cancelled below.
    b.queue.pause()
    b.store.record_attempt(VideoRequest("elsewhere"), status="pending")
    at.button(key="create_button").click().run()
    shown = plain(" ".join(e.value for e in at.error))
    assert shown.startswith("**Over the monthly budget.** This task would cost 0.25 EUR, but only 0.05 EUR is left "
                            "of this month's 0.30 EUR budget (STARVIDEOS_MONTHLY_BUDGET): 0.25 EUR is already spent "
                            "or queued.")
    assert b.store.count() == 1 and b.sandbox.received("POST") == []
    at.text_area(key="form_prompt").set_value("A bird surfing").run()  # now the page knows: disabled, with figures
    assert at.button(key="create_button").disabled
    assert plain(at.warning[0].value) == (
        "This task would cost 0.25 EUR, but only 0.05 EUR is left of this month's 0.30 EUR budget "
        "(STARVIDEOS_MONTHLY_BUDGET): 0.25 EUR is already spent or queued. Remove some, or raise "
        "STARVIDEOS_MONTHLY_BUDGET.")
    assert b.queue.cancel_pending() == 1  # the other replica's item is cancelled: it costs nothing
    b.queue.resume()
    b.estimates.forget_standing()
    at.run()
    at.button(key="create_button").click().run()
    # Sent, with its id (the sandbox may already have moved it on from "queued" by the time this reads it).
    sent, cancelled = b.store.list()
    assert (sent.task_id is not None, sent.status in (*LIVE, TaskStatus.COMPLETED), cancelled.status) == (
        True, True, TaskStatus.CANCELLED)
    assert len(b.sandbox.received("POST")) == 1
    usage = page("pages/usage.py")
    [bar] = usage.get("progress")
    assert "This month: 0.25 EUR of 0.30 EUR" in bar.proto.text
    months = usage.dataframe[0].value
    assert months.to_dict("records")[0]["Cost"] == "0.25 EUR" and months.to_dict("records")[0]["Tasks"] == 1
    assert "Traceback" not in texts(usage)


def test_csv_queued_once_however_often_it_is_pressed(app_env: Path) -> None:
    """Test that the same file cannot be queued twice by accident: after Queue all the page offers "Queue again…"
    instead; a tab that was open before says "Already queued as <batch> at <time>" when pressed; a reload sees it
    before any press; and "Queue again" queues one more copy only after its confirmation."""
    queue = runtime.backend().queue
    queue.pause()
    tab = page("pages/batch.py")
    tab.file_uploader(key="batch_csv").upload("launch.csv", CSV, "text/csv").run()
    at = page("pages/batch.py")
    at.file_uploader(key="batch_csv").upload("launch.csv", CSV, "text/csv").run()
    at.button(key="batch_queue").click().run()
    [batch] = queue.batches()
    assert [b.key for b in at.button if b.label.startswith("Queue")] == ["batch_again"]
    tab.button(key="batch_queue").click().run()  # the other tab still shows Queue all: pressing it queues nothing
    assert [b.id for b in queue.batches()] == [batch.id] and runtime.backend().store.count() == 2
    assert re.fullmatch(rf"Already queued as “{re.escape(batch.name)}” at \d\d:\d\d · 0 of 2 sent or settled\.",
                        plain(tab.info[0].value))
    resaved = CSV.replace(b"\xef\xbb\xbf", b"").replace(b";", b",")  # the same rows, saved again another way
    reloaded = page("pages/batch.py")
    reloaded.file_uploader(key="batch_csv").upload("launch (1).csv", resaved, "text/csv").run()
    assert "Already queued as" in plain(reloaded.info[0].value)  # before any press
    assert "batch_queue" not in [b.key for b in reloaded.button]
    reloaded.button(key="batch_again").click().run()
    reloaded.button(key="batch_again_cancel").click().run()
    assert len(queue.batches()) == 1
    reloaded.button(key="batch_again").click().run()
    reloaded.button(key="batch_again_confirm").click().run()
    assert [(b.copy, b.total) for b in queue.batches()] == [(1, 2), (0, 2)]
    assert runtime.backend().store.count() == 4 and runtime.backend().sandbox.received("POST") == []
    assert not tab.exception and not at.exception and not reloaded.exception


def test_csv_picker_limit_and_budget_before_the_press(app_env: Path, priced: None,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that the CSV picker's own limit is the real 5 MB (not Streamlit's 200 MB), and that the page shows the
    estimate against what is left of the month's budget, disabling Queue all with the figures when it cannot fit."""
    monkeypatch.setenv("STARVIDEOS_MONTHLY_BUDGET", "0.50")
    at = page("pages/batch.py")
    assert at.file_uploader(key="batch_csv").proto.max_upload_size_mb == 5
    at.file_uploader(key="batch_csv").upload("launch.csv", CSV, "text/csv").run()
    assert "2 tasks · Estimated cost: 0.65 EUR · 0.50 EUR left of this month's 0.50 EUR budget" in [
        c.value for c in at.caption]
    assert at.button(key="batch_queue").disabled
    assert plain(at.warning[0].value) == (
        "These 2 tasks would cost 0.65 EUR, but only 0.50 EUR is left of this month's 0.50 EUR budget "
        "(STARVIDEOS_MONTHLY_BUDGET): 0.00 EUR is already spent or queued. Remove some, or raise "
        "STARVIDEOS_MONTHLY_BUDGET.")


def test_file_and_batch_names_are_one_line_of_plain_text(app_env: Path) -> None:
    """Test that a CSV whose file name holds Markdown and a line break with "===" (a heading, were it Markdown)
    gives a one-line batch name shown as the characters typed, in the success message and the queue's card."""
    runtime.backend().queue.pause()
    at = page("pages/batch.py")
    at.file_uploader(key="batch_csv").upload("![p](http://127.0.0.1:9/p.png)\n===.csv", CSV, "text/csv").run()
    name = at.text_input(key="batch_name").value
    assert re.fullmatch(r"!\[p\]\(http://127\.0\.0\.1:9/p\.png\) === · \d\d:\d\d", name)
    at.button(key="batch_queue").click().run()
    [batch] = runtime.backend().queue.batches()
    assert batch.name == name
    [success] = [m.value for m in at.success if m.value.startswith("Queued")]
    [title] = [m.value for m in at.markdown if m.value.startswith("**\\!\\[p")]
    assert "\n" not in success and "\n" not in title  # one line: no "===" under it to make a heading
    assert plain(success).startswith(f"Queued 2 tasks as “{name}”") and plain(title) == f"**{name}** · just queued"

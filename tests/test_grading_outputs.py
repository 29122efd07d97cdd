"""The grader's bookkeeping without running nbgrader: notebook times, kept runs, hand-entered columns, the report."""

from __future__ import annotations

import re

import pytest

from course_grading.overview import histogram_svg, part_rates, write_report
from course_grading.previous import check_out, earlier_rows, hand_entered, keep_previous
from course_grading.progress import Progress, durations, read_events
from course_grading.report import Row, write_csv


def test_durations_come_from_start_and_finish_marks(tmp_path):
    one, two = tmp_path / "one.log", tmp_path / "two.log"
    one.write_text("100.0 start alice\n103.5 finish alice\n104.0 start bob\n")  # bob never finished
    two.write_text("100.0 start carol\n101.0 finish carol\n102.0 start dan\n110.0 finish dan\n105.0 sta")
    assert read_events(two)[-1] == (110.0, "finish", "dan")  # a half-written last line is skipped
    assert durations([one, two, tmp_path / "missing.log"], end=120.0) == {
        "alice": 3.5, "bob": 16.0, "carol": 1.0, "dan": 8.0}  # fmt: skip


def test_progress_counts_finished_students(tmp_path):
    log = tmp_path / "p.log"
    with Progress([log], total=2, show=False) as watch:
        assert watch.done() == 0
        log.write_text("1.0 start a\n2.0 finish a\n")
        assert watch.done() == 1
    assert watch.durations() == {"a": 1.0}


def _rows():
    return [
        Row("alice", 5, 5, "ok", "", {"square_tests": 2, "mean_tests": 3}),
        Row("bob", 2, 5, "ok", "", {"square_tests": 2, "mean_tests": 0}),
        Row("carol", 0, 5, "invalid_notebook", "empty file"),
    ]


def test_an_earlier_run_is_refused_without_force_and_kept_with_it(tmp_path):
    out = tmp_path / "out"
    check_out(out, force=False)  # nothing there yet
    (out / "feedback").mkdir(parents=True)
    write_csv(_rows(), out / "grades.csv", parts=["square_tests", "mean_tests"])
    with pytest.raises(ValueError, match=r"earlier run \(grades.csv, feedback\).*--force"):
        check_out(out, force=False)
    check_out(out, force=True)
    kept = keep_previous(out)
    assert kept.parent == out / "previous" and re.fullmatch(r"\d{8}T\d{6}Z", kept.name)
    assert sorted(p.name for p in kept.iterdir()) == ["feedback", "grades.csv"]
    assert sorted(p.name for p in out.iterdir()) == ["previous"]
    assert keep_previous(out) is None


def test_hand_entered_columns_and_rows_are_read_back(tmp_path):
    path = tmp_path / "grades.csv"
    write_csv(_rows(), path, parts=["square_tests", "mean_tests"],
              hand={"bob": {"written": "1", "comment": "see me, please"}}, extra=["comment"])  # fmt: skip
    assert path.read_text().splitlines()[0].endswith("mean_tests,written,comment")
    extra, hand = hand_entered(path)
    assert extra == ["comment"] and hand["bob"] == {"written": "1", "comment": "see me, please"}
    assert hand["alice"] == {"written": "", "comment": ""}
    assert earlier_rows(path) == sorted(_rows(), key=lambda r: r.student)
    old = tmp_path / "old.csv"  # the five-column layout of older runs has nothing typed by hand
    write_csv(_rows(), old)
    assert hand_entered(old) == ([], {})


def test_the_report_sorts_parts_hardest_first_and_bins_scores(tmp_path):
    rates = part_rates(_rows(), {"square_tests": 2.0, "mean_tests": 3.0})
    assert [(p["part"], p["graded"], p["full"]) for p in rates] == [("mean_tests", 2, 1), ("square_tests", 2, 2)]
    svg = histogram_svg([0, 2, 5, 5], 5)
    assert re.findall(r'data-count="(\d+)"', svg) == ["1", "0", "1", "0", "0", "2"]
    svg = histogram_svg([0, 59.5, 119], 119)  # many points: ten bins, full marks in the last
    assert re.findall(r'data-count="(\d+)"', svg) == ["1", "0", "0", "0", "0", "1", "0", "0", "0", "1"]
    page = write_report(tmp_path / "r.html", "toy", _rows() + [Row("<b>eve</b>", 0, 5, "timeout", "")],
                        {"square_tests": 2.0, "mean_tests": 3.0}, {"alice": 1.5, "bob": 9.0})  # fmt: skip
    text = page.read_text()
    assert "&lt;b&gt;eve&lt;/b&gt;" in text and "<b>eve" not in text  # names are escaped
    slowest = text[text.index('id="slowest"') :]
    assert slowest.index("bob") < slowest.index("alice")
    statuses = text[text.index('id="statuses"') : text.index('id="slowest"')]
    assert "invalid_notebook" in statuses and "carol" in statuses and "timeout" in statuses

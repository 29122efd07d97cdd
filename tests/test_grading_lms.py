"""Grades for a learning platform: ids out of bulk-download names, per-part columns, Canvas and Moodle files.

Fast: no kernel starts (the whole grading run with `--lms` is in tests/test_grading_cli.py).
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from course_grading.intake import collect, id_pattern
from course_grading.lms import LmsExportPlugin, lms_table, read_id_map, write_lms
from course_grading.report import Row, read_csv, write_csv

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "grading_fixtures"
ID_MAP = ("student,name,canvas_id,sis_user_id,sis_login_id,section,email,idnumber\n"
          "12345,Ana Lima,12345,S001,alima,A,ana@uni.example,S001\n"
          "67890,Bo Chen,67890,S002,bchen,B,bo@uni.example,S002\n")


def _ids(tmp_path: Path, text: str = ID_MAP) -> dict:
    (tmp_path / "ids.csv").write_text(text)
    return read_id_map(tmp_path / "ids.csv")


def test_presets_take_the_id_out_of_moodle_and_canvas_names(tmp_path):
    moodle, canvas = id_pattern("moodle"), id_pattern("canvas")
    assert moodle.search("Ana Maria Lima_12345_assignsubmission_file_").group("student_id") == "12345"
    assert moodle.search("Bo_Chen_67890_assignsubmission_file_toy.ipynb").group("student_id") == "67890"
    assert canvas.search("limaana_12345_998877_toy.ipynb").group("student_id") == "12345"
    assert canvas.search("chenbo_LATE_67890_998878_toy-1.ipynb").group("student_id") == "67890"
    assert moodle.search("alice.ipynb") is None and canvas.search("alice.ipynb") is None


def test_collect_groups_a_bulk_download_by_student_id_and_marks_what_it_cannot_read(tmp_path):
    (tmp_path / "Ana Lima_12345_assignsubmission_file_").mkdir()
    (tmp_path / "Ana Lima_12345_assignsubmission_file_" / "toy.ipynb").write_text("{}")
    (tmp_path / "Bo Chen_67890_assignsubmission_file_toy.ipynb").write_text("{}")
    (tmp_path / "stray.ipynb").write_text("{}")
    found = {s.student: s for s in collect(tmp_path, "toy", id_pattern("moodle"))}
    assert sorted(found) == ["12345", "67890", "stray"]
    assert found["12345"].relative == ["Ana Lima_12345_assignsubmission_file_/toy.ipynb"]
    assert found["67890"].flags == [] and found["stray"].flags == ["id_unmatched"]
    assert "stray.ipynb" in found["stray"].notes[0]
    assert sorted(s.student for s in collect(tmp_path, "toy")) == sorted(p.stem if p.is_file() else p.name
                                                                          for p in tmp_path.iterdir())


@pytest.mark.parametrize("spec, words", [("(?P<student_id>[0-9+", "not a valid regular expression"),
                                         (r"^(\d+)_", "no group named student_id")])
def test_a_bad_id_pattern_says_what_to_write(spec, words):
    with pytest.raises(ValueError, match=words):
        id_pattern(spec)


def test_grades_csv_has_a_column_per_part_and_a_blank_written_column(tmp_path):
    rows = [Row("zed", 2.0, 5, "ok", "", {"square_tests": 2.0, "mean_tests": 0.0}),
            Row("amy", 0.0, 5, "invalid_notebook", "empty")]
    write_csv(rows, tmp_path / "g.csv", parts=["square_tests", "mean_tests"])
    assert (tmp_path / "g.csv").read_text().splitlines() == [
        "student,score,max_score,status,message,square_tests,mean_tests,written",
        "amy,0,5,invalid_notebook,empty,,,", "zed,2,5,ok,,2,0,"]
    assert read_csv(tmp_path / "g.csv")["zed"]["mean_tests"] == "0"


def test_the_id_map_must_name_its_columns_and_each_student_once(tmp_path):
    with pytest.raises(ValueError, match="no 'student' column"):
        _ids(tmp_path, "name,email\nAna,ana@x\n")
    with pytest.raises(ValueError, match="line 3: student '1' appears twice"):
        _ids(tmp_path, "student,email\n1,a@x\n1,b@x\n")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_id_map(tmp_path / "nope.csv")
    assert _ids(tmp_path, "\ufeffstudent,email\n1,a@x\n") == {"1": {"student": "1", "email": "a@x"}}  # Excel's BOM


def test_canvas_file_has_its_id_columns_points_possible_and_one_column_per_assignment(tmp_path):
    ids = _ids(tmp_path)
    table = lms_table("canvas", {"67890": {"lab1": 4.5, "lab2": 3}, "12345": {"lab1": 5}},
                      {"lab1": 5, "lab2": 4}, ids)
    assert table == [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "lab1", "lab2"],
                     ["Points Possible", "", "", "", "", "5", "4"],
                     ["Ana Lima", "12345", "S001", "alima", "A", "5", ""],
                     ["Bo Chen", "67890", "S002", "bchen", "B", "4.5", "3"]]


def test_moodle_file_carries_the_identifiers_the_map_has(tmp_path):
    ids = _ids(tmp_path)
    path = write_lms("moodle", {"12345": {"lab1": 5}}, {"lab1": 5}, ids, tmp_path / "moodle.csv")
    assert list(csv.reader(path.open())) == [["Email address", "ID number", "lab1"], ["ana@uni.example", "S001", "5"]]


def test_a_student_missing_from_the_map_is_named_and_nothing_is_written(tmp_path):
    ids = _ids(tmp_path)
    with pytest.raises(ValueError, match="not in the id map: 55555"):
        write_lms("canvas", {"55555": {"lab1": 1}, "12345": {"lab1": 5}}, {"lab1": 5}, ids, tmp_path / "c.csv")
    assert not (tmp_path / "c.csv").exists()
    with pytest.raises(ValueError, match="canvas_id"):
        lms_table("canvas", {"1": {"lab1": 1}}, {"lab1": 5}, _ids(tmp_path, "student,email\n1,a@x\n"))


@pytest.fixture(autouse=True)
def _quiet_sqlalchemy():
    """nbgrader's own gradebook code makes SQLAlchemy warn about autoflush; not ours to fix."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not in session.*")
        yield


def _gradebook(folder: Path) -> None:
    """A real nbgrader gradebook: two assignments, two students, Ana has not submitted lab2."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{folder / 'gradebook.db'}") as gb:
        for lab, points in (("lab1", 5), ("lab2", 4)):
            gb.add_assignment(lab)
            gb.add_notebook(lab, lab)
            gb.add_grade_cell("part_tests", lab, lab, max_score=points, cell_type="code")
        for student in ("12345", "67890"):
            gb.add_student(student)
        for lab, student, score in (("lab1", "12345", 5), ("lab1", "67890", 2), ("lab2", "67890", 4)):
            gb.add_submission(lab, student)
            gb.find_grade("part_tests", lab, lab, student).auto_score = score
        gb.db.commit()


def test_nbgrader_export_writes_the_canvas_file_through_the_plugin(tmp_path):
    _gradebook(tmp_path)
    (tmp_path / "ids.csv").write_text(ID_MAP)
    done = subprocess.run([sys.executable, "-m", "nbgrader", "export",
                           "--ExportApp.plugin_class=course_grading.lms.LmsExportPlugin",
                           "--LmsExportPlugin.lms=canvas", "--LmsExportPlugin.id_map=ids.csv", "--to=canvas.csv"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert list(csv.reader((tmp_path / "canvas.csv").open())) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "lab1", "lab2"],
        ["Points Possible", "", "", "", "", "5", "4"],
        ["Ana Lima", "12345", "S001", "alima", "A", "5", ""],
        ["Bo Chen", "67890", "S002", "bchen", "B", "2", "4"]]


def test_the_plugin_honours_nbgraders_assignment_filter(tmp_path, monkeypatch):
    from nbgrader.api import Gradebook

    _gradebook(tmp_path)
    (tmp_path / "ids.csv").write_text(ID_MAP)
    monkeypatch.chdir(tmp_path)
    plugin = LmsExportPlugin(lms="moodle", id_map="ids.csv", to="m.csv", assignment=["lab2"])
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        plugin.export(gb)
    # Ana submitted no lab2: she has no row (a blank grade would import as nothing anyway)
    assert list(csv.reader(open("m.csv"))) == [["Email address", "ID number", "lab2"], ["bo@uni.example", "S002", "4"]]


def test_the_grader_takes_ids_from_a_moodle_download_and_writes_the_moodle_file(tmp_path):
    """Ungradable notebooks only, so no kernel starts: the ids, the csv columns and the import file."""
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "Ana Lima_12345_assignsubmission_file_toy.ipynb").write_text("")
    (subs / "Bo Chen_67890_assignsubmission_file_toy.ipynb").write_text("{not json")
    (tmp_path / "ids.csv").write_text(ID_MAP)
    done = subprocess.run([sys.executable, "-m", "course_grading", "grade", "toy", str(subs), "--out",
                           str(tmp_path / "out"), "--course-dir", str(FIXTURES), "--no-sandbox", "--id-pattern",
                           "moodle", "--lms", "moodle", "--id-map", str(tmp_path / "ids.csv")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = read_csv(tmp_path / "out" / "grades.csv")
    assert sorted(rows) == ["12345", "67890"] and {r["status"] for r in rows.values()} == {"invalid_notebook"}
    assert list(rows["12345"])[5:] == ["square_tests", "mean_tests", "written"]
    assert list(csv.reader((tmp_path / "out" / "moodle.csv").open())) == [
        ["Email address", "ID number", "toy"], ["ana@uni.example", "S001", "0"], ["bo@uni.example", "S002", "0"]]


def test_the_grader_refuses_half_an_lms_request_before_grading(tmp_path):
    from course_grading.cli import main

    assert main(["grade", "toy", str(tmp_path), "--out", str(tmp_path / "out"), "--course-dir", str(FIXTURES),
                 "--lms", "canvas"]) == 2
    assert main(["grade", "toy", str(tmp_path), "--out", str(tmp_path / "out"), "--course-dir", str(FIXTURES),
                 "--id-pattern", r"(\d+)"]) == 2
    (tmp_path / "ids.csv").write_text("student,email\n1,a@x\n")
    assert main(["grade", "toy", str(tmp_path), "--out", str(tmp_path / "out"), "--course-dir", str(FIXTURES),
                 "--lms", "canvas", "--id-map", str(tmp_path / "ids.csv")]) == 2  # no canvas_id: refused first
    assert not (tmp_path / "out").exists()

"""Grade a folder or .zip of submissions: check each notebook, autograde all in one nbgrader run, report.

Every submission gets a row in grades.csv with a status; bad ones never stop the others being graded.
"""

from __future__ import annotations

import html
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

from course.device import available_cpus

from .intake import collect, id_pattern, safe_id, unzip
from .kernel import KERNEL_NAME, SCRIPT_NAME, install_kernel
from .notebook import autograded_ids, hidden_test_lines
from .outcome import clean, failures_from_log, inspect, status_of
from .overview import write_report
from .prepare import prepare
from .previous import check_out, earlier_rows, hand_entered, keep_previous
from .progress import LOG_NAME, Progress
from .report import Row, notice_html, table, write_csv
from .workspace import Workspace, course_directories

NO_SANDBOX_WARNING = (
    "WARNING: graded with --no-sandbox: student code ran with your rights, could read and write your "
    "files, reach the network and outlive its notebook. Treat these grades with care."
)
SANDBOX_CONFIG = """
# Every notebook's kernel runs inside bubblewrap (course_grading.sandbox).
c.Execute.kernel_manager_class = "course_grading.sandbox.SandboxKernelManager"
c.SandboxKernelManager.library = {library!r}
"""

GRADING_CONFIG = """
# Grading limits and the grader's own preprocessors (python -m course_grading grade).
import os
from nbgrader.converters import Autograde, GenerateFeedback
from nbgrader.preprocessors import LimitOutput
from course_grading.preprocessors import CapOutput, HideHiddenTests, MarkFinished, MarkStarted
c.Execute.kernel_name = {kernel!r}
c.Execute.timeout = {timeout}
c.Execute.interrupt_on_timeout = True
c.CapOutput.max_chars = {max_output}
c.Autograde.autograde_preprocessors = [MarkStarted] + [
    CapOutput if p is LimitOutput else p for p in Autograde.class_traits()["autograde_preprocessors"].default()
] + [MarkFinished]
c.MarkStarted.path = c.MarkFinished.path = os.path.join(c.CourseDirectory.root, {progress_log!r})
c.GenerateFeedback.preprocessors = [HideHiddenTests] + GenerateFeedback.class_traits()["preprocessors"].default()
"""


def _html_text(page: str) -> str:
    """The visible text of an HTML page, roughly (tags dropped, entities decoded)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _open_submissions(submissions: Path, scratch: Path) -> Path:
    """A folder holding the submissions: the folder itself, an unpacked zip, or a folder around one notebook."""
    if submissions.is_dir():
        return submissions
    if not submissions.exists():
        raise FileNotFoundError(f"{submissions} does not exist: give a folder or .zip of student notebooks.")
    if submissions.suffix.lower() == ".zip":
        return unzip(submissions, scratch / "unpacked")
    if submissions.suffix == ".ipynb":
        (scratch / "single").mkdir()
        shutil.copy(submissions, scratch / "single" / submissions.name)
        return scratch / "single"
    raise ValueError(f"{submissions} is neither a folder, a .zip nor a notebook.")


def _points(release: nbformat.NotebookNode) -> tuple[dict[str, float], float]:
    """({autograded test cell id: its points}, in notebook order; points of hand-graded written answers)."""
    tests, parts, manual = autograded_ids(release), {}, 0.0
    for cell in release.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            if meta.get("grade_id") in tests:
                parts[meta["grade_id"]] = float(meta.get("points", 0))
            elif meta.get("solution"):
                manual += float(meta.get("points", 0))
    return {t: parts.get(t, 0.0) for t in tests}, manual


def _submission_files(notebooks: list[Path]) -> dict[str, str]:
    """nbgrader's own files beside a submitted notebook that nbgrader can read: {"timestamp.txt": ...,
    "submission_secret.txt": ...} (the submission time for late penalties; the key that names the feedback a
    student fetches through the exchange). Anything too long or unreadable is left out."""
    from nbgrader.utils import parse_utc

    found: dict[str, str] = {}
    for nb in notebooks[:1]:
        for name in ("timestamp.txt", "submission_secret.txt"):
            path = nb.parent / name
            if not path.is_file() or path.is_symlink() or path.stat().st_size > 200:
                continue
            text = path.read_text(encoding="utf-8", errors="replace").strip()
            if name == "timestamp.txt":
                try:
                    parse_utc(text)
                except ValueError:
                    continue
            elif not text.isprintable():
                continue
            found[name] = text
    return found


def _result(
    ws: Workspace, sid: str, failure: tuple[str, str] | None, tests: list[str]
) -> tuple[dict[str, float], list[str], list[str]]:
    """({test cell: autograded points}, flags, notes) of one student after nbgrader's run."""
    if failure is not None:
        return {}, [failure[0]], [failure[1]]
    graded = ws.autograded_notebook(sid)
    if not graded.exists():
        return {}, ["grader_error"], ["nbgrader wrote no graded notebook; see nbgrader.log"]
    flags, notes = inspect(nbformat.read(graded, as_version=4))
    scores = ws.scores(sid)
    return {g: scores[g][0] or 0.0 for g in tests if g in scores}, flags, notes


def _feedback(ws: Workspace, sid: str, row: Row, hidden: list[str]) -> str:
    """nbgrader's feedback page for `sid`, or a short notice when there is none or it would show a hidden test."""
    page = ws.root / "feedback" / sid / ws.assignment / f"{ws.assignment}.html"
    text = page.read_text(encoding="utf-8") if page.exists() else ""
    shown = {line.strip() for line in _html_text(text).splitlines()}
    if not text or any(line in shown for line in hidden):
        return notice_html(row, ws.assignment)
    return text


def default_jobs() -> int:
    """Notebooks graded at once by default: one per usable CPU, at most 4."""
    return min(4, available_cpus())


def _new_workspace(root: Path, course_dir: str | Path, assignment: str, config: str) -> Workspace:
    """A fresh nbgrader course folder at `root` holding `assignment`'s source; refuses to reuse a folder."""
    if root.exists():
        raise ValueError(f"{root} already exists: remove it or choose another --work-dir.")
    return Workspace.create(root, course_dir, assignment, config)


def _run_all(spaces: list[Workspace], *args: str, env: dict[str, str]) -> str:
    """Run the same nbgrader command in every workspace at once; return their logs, one after another."""
    with ThreadPoolExecutor(len(spaces)) as pool:
        return "".join(pool.map(lambda ws: ws.nbgrader(*args, env=env, check=False).stderr, spaces))


def grade(
    assignment: str,
    submissions: str | Path,
    out: str | Path,
    *,
    timeout: int = 300,
    memory_mb: int = 3000,
    course_dir: str | Path = ".",
    max_output_chars: int = 100_000,
    work_dir: str | Path | None = None,
    jobs: int | None = None,
    sandbox: bool = True,
    cpu_seconds: int = 1800,
    processes: int = 256,
    id_regex: str | None = None,
    lms: str | None = None,
    id_map: str | Path | None = None,
    force: bool = False,
    into_course: bool = False,
    progress: bool | None = None,
    echo: Callable[[str], None] = print,
) -> list[Row]:
    """Autograde every submission of `assignment`; write OUT/grades.csv and OUT/feedback/*.html; return the rows.

    Parameters
    ----------
    assignment, submissions, out
        The assignment's name, a folder or .zip of notebooks, and the output folder.
    timeout, memory_mb, max_output_chars, cpu_seconds, processes
        Limits of each student's kernel: seconds per cell, address space, printed characters per cell,
        CPU seconds in all, processes and threads.
    course_dir, work_dir
        The course folder (nbgrader_config.py, sources) and where to keep nbgrader's working folders.
    jobs
        Notebooks graded at once (default: one per usable CPU, at most 4), each batch of students in its own
        nbgrader course folder, so that the results are the same as grading them one by one.
    sandbox
        Run every kernel in the sandbox (`course_grading.sandbox`); refuse with `SandboxUnavailable` if it
        cannot run here. False grades without it and says so in the summary.
    id_regex
        Take each student's id out of its entry's name: "moodle", "canvas" or a regular expression with a
        group `student_id` (`intake.id_pattern`). None: the file or folder name is the id.
    lms, id_map
        Also write OUT/<lms>.csv, the import file of "canvas" or "moodle", its students found through the
        id-map CSV (`lms.read_id_map`). Both are checked before anything is graded.
    force
        Grade into an OUT that holds an earlier run: its files move to OUT/previous/<time>/, and the
        hand-entered `written` column (and columns added after it) and the rows of students not graded now
        are carried into the new grades.csv. Without it such an OUT is refused (ValueError), before grading.
        With `into_course` it also allows grading again students the course has autograded already.
    into_course
        Also record the results in the course's own gradebook and autograded/ folder (`into_course`), so that
        formgrader lists every submission for hand-grading; the `written` column then holds the gradebook's
        hand-entered points. The course must know the assignment (`nbgrader generate_assignment`).
    progress
        Show a progress bar on stderr while grading; None: when stderr is a terminal.

    Returns
    -------
    One `Row` per student.
    """
    jobs = default_jobs() if jobs is None else jobs
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs is the number of notebooks graded at once, a whole number >= 1; got {jobs!r}.")
    pattern = id_pattern(id_regex) if id_regex else None
    if (lms is None) != (id_map is None):
        raise ValueError("an LMS export needs both --lms (canvas or moodle) and --id-map (the id-map CSV)")
    if lms is not None:
        from .lms import id_columns, read_id_map

        students_map = read_id_map(id_map)
        id_columns(lms, students_map)  # the platform and the map's id columns, checked before any grading
    out = Path(out)
    check_out(out, force)
    gradebook = None
    if into_course:
        from .into_course import check_course

        gradebook = check_course(course_dir, assignment)  # the course's gradebook file, known to hold it
    if sandbox:
        from .sandbox import check_available

        check_available()
    show = sys.stderr.isatty() if progress is None else progress
    with tempfile.TemporaryDirectory(prefix="course-grading-") as tmp:
        work = Path(work_dir).resolve() if work_dir else Path(tmp)
        config = GRADING_CONFIG.format(
            kernel=KERNEL_NAME, timeout=int(timeout), max_output=int(max_output_chars), progress_log=LOG_NAME
        )
        script = None
        if sandbox:
            from .sandbox import copy_library

            library = copy_library(Path(tempfile.mkdtemp(prefix="course-library-", dir=tmp)))
            config += SANDBOX_CONFIG.format(library=str(library))
            script = library / SCRIPT_NAME
        ws = _new_workspace(work / "course", course_dir, assignment, config)
        install_kernel(
            ws.root / "jupyter",
            memory_mb,
            max_output_chars,
            script=script,
            cpu_seconds=cpu_seconds,
            processes=processes,
        )
        env = {"JUPYTER_PATH": str(ws.root / "jupyter")}
        ws.generate()
        release = nbformat.read(ws.release_notebook, as_version=4)
        part_points, manual = _points(release)
        tests, max_score = list(part_points), sum(part_points.values())
        others = {
            p.name
            for p in (Path(course_dir) / course_directories(course_dir)["source_directory"]).glob("*")
            if p.is_dir()
        }

        # 1. check and repair every notebook; what cannot be graded gets its row now
        rows, pages, queued, taken, stamps = [], {}, {}, set(), {}
        for sub in collect(_open_submissions(Path(submissions), work), assignment, pattern):
            sid = safe_id(sub.student, taken)
            prepared = prepare(sub, release, assignment, others)
            prepared.flags[:0], prepared.notes[:0] = sub.flags, sub.notes
            if prepared.notebook is None:
                row = Row(sub.student, 0.0, max_score, status_of(prepared.flags), clean("; ".join(prepared.notes), 300))
                rows.append(row)
                pages[sid] = notice_html(row, assignment)
            else:
                queued[sid] = (sub.student, prepared)
                stamps[sid] = _submission_files(sub.notebooks)
        if into_course and not force:
            from .into_course import already_graded

            again = already_graded(course_dir, assignment, list(queued))
            if again:
                raise ValueError(
                    f"--into-course: the course has autograded {assignment} of {', '.join(again[:5])}"
                    f"{' and others' if len(again) > 5 else ''} already. Pass --force to grade them again "
                    "(hand-entered scores and comments in the gradebook are kept)."
                )

        # 2. students dealt out in turn to `jobs` course folders; one nbgrader run in each, all at once
        spaces = [ws] + [
            _new_workspace(work / f"course-{k}", course_dir, assignment, config)
            for k in range(2, min(jobs, len(queued)) + 1)
        ]
        with ThreadPoolExecutor(max(1, len(spaces) - 1)) as pool:
            list(pool.map(Workspace.generate, spaces[1:]))
        home = {sid: spaces[k % len(spaces)] for k, sid in enumerate(queued)}
        for sid, (_, prepared) in queued.items():
            home[sid].submit(sid, prepared.notebook)
        failures, log = {}, ""
        with Progress([w.root / LOG_NAME for w in spaces], len(queued), show) as watch:
            if queued:
                log = _run_all(spaces, "autograde", assignment, env=env)
        took = {queued[sid][0]: t for sid, t in watch.durations().items() if sid in queued}
        if queued:
            failures = failures_from_log(log, list(queued), assignment)
            log += _run_all(spaces, "generate_feedback", assignment, "--force", env=env)

        # 3. scores, statuses and pages
        hidden = hidden_test_lines(nbformat.read(ws.source_notebook, as_version=4))
        for sid, (student, prepared) in queued.items():
            parts, flags, notes = _result(home[sid], sid, failures.get(sid), tests)
            flags, notes = prepared.flags + flags, prepared.notes + notes
            message = clean("; ".join(notes).replace(str(work), "<work>"), 300)
            row = Row(student, sum(parts.values()), max_score, status_of(flags), message, parts)
            rows.append(row)
            pages[sid] = _feedback(home[sid], sid, row, hidden)

        # 4. into the course's gradebook: every notebook nbgrader executed, repaired ones included
        written: dict[str, float] = {}
        if into_course:
            from .into_course import import_graded, written_points

            executed = {sid: home[sid].autograded_notebook(sid) for sid in queued}
            executed = {sid: nb for sid, nb in executed.items() if nb.exists()}
            backup = Path(tempfile.mkdtemp(prefix="gradebook-", dir=tmp)) / "gradebook.db"
            shutil.copy(gradebook, backup)
            scratch = Path(tempfile.mkdtemp(prefix="into-course-", dir=tmp))
            log += import_graded(course_dir, assignment, executed, scratch, stamps, env=env)
            names = {sid: queued[sid][0] for sid in queued}
            written = {names[s]: p for s, p in written_points(gradebook, assignment, tests).items() if s in names}
            echo(f"Recorded {len(executed)} graded notebook(s) in the course gradebook {gradebook}")

        # 5. the outputs: the earlier run's files are kept in OUT/previous/, then the new ones written
        kept = keep_previous(out) if force else None
        extra, hand, carried = [], {}, []
        if kept is not None and (kept / "grades.csv").is_file():
            extra, hand = hand_entered(kept / "grades.csv")
            now = {r.student for r in rows}
            carried = [r for r in earlier_rows(kept / "grades.csv") if r.student not in now]
            rows += carried
        for student, points in written.items():
            hand.setdefault(student, {})["written"] = f"{points:g}"
        (out / "feedback").mkdir(parents=True, exist_ok=True)
        if into_course:
            shutil.copy(backup, out / "gradebook.db")  # the course gradebook as it was before this run
        for sid, page in pages.items():
            (out / "feedback" / f"{sid}.html").write_text(page, encoding="utf-8")
        if kept is not None and (kept / "feedback").is_dir():  # students not graded now keep their pages
            for page in (kept / "feedback").glob("*.html"):
                if not (out / "feedback" / page.name).exists():
                    shutil.copy(page, out / "feedback" / page.name)
        (out / "nbgrader.log").write_text(log.replace(str(work), "<work>"), encoding="utf-8")

    write_csv(rows, out / "grades.csv", parts=tests, hand=hand, extra=extra)
    write_report(out / "report.html", assignment, rows, part_points, took, manual)
    if kept is not None:
        echo(f"The earlier results are kept in {kept}/")
    if carried:
        echo(
            f"Kept the earlier rows of {len(carried)} student(s) not graded in this run: "
            + ", ".join(r.student for r in sorted(carried, key=lambda r: r.student)[:10])
            + (" ..." if len(carried) > 10 else "")
        )
    if lms is not None:
        from .lms import write_lms

        graded = {r.student: {assignment: r.score} for r in rows}
        echo(f"{lms} import file: {write_lms(lms, graded, {assignment: max_score}, students_map, out / f'{lms}.csv')}")
    if not sandbox:
        echo(NO_SANDBOX_WARNING)
    echo(table(rows))
    echo(
        f"Scores are autograded points out of {max_score:g}"
        + (f"; written answers ({manual:g} point{'' if manual == 1 else 's'}) are graded by hand." if manual else ".")
    )
    echo(f"Grades: {out / 'grades.csv'}   Feedback: {out / 'feedback'}/   Class report: {out / 'report.html'}")
    if not sandbox:
        echo(NO_SANDBOX_WARNING)
    return rows

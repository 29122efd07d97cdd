"""nbconvert preprocessors the grader adds to nbgrader: an output cap, feedback without hidden tests, progress marks."""

from __future__ import annotations

import time

from nbgrader.preprocessors import ClearHiddenTests, LimitOutput, NbGraderPreprocessor
from traitlets import Integer, Unicode

from .kernel import TRUNCATED


class CapOutput(LimitOutput):
    """nbgrader's line limit plus a character limit per output, so one enormous line is cut too."""

    max_chars = Integer(100_000, help="maximum characters kept per output (-1: no limit)").tag(config=True)

    def _cut(self, text: str) -> str:
        if self.max_chars < 0 or len(text) <= self.max_chars:
            return text
        return text[: self.max_chars] + f"\n{TRUNCATED}: {len(text):,} characters, kept {self.max_chars:,}]\n"

    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        for output in cell.get("outputs", []):
            if "text" in output:
                output.text = self._cut(output.text)
            for mime, value in output.get("data", {}).items():
                if isinstance(value, str):
                    output.data[mime] = self._cut(value)
        return cell, resources


class HideHiddenTests(ClearHiddenTests):
    """Strip hidden-test blocks from graded cells again, and shorten their errors to one line.

    A traceback would quote the hidden line that failed, so errors of graded cells keep only
    `ErrorName: message`.
    """

    def __init__(self, **kw):
        super().__init__(**kw)
        self.enforce_metadata = False

    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade") and cell.cell_type == "code":
            for output in cell.outputs:
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}".rstrip(": ")]
        return cell, resources


class MarkStarted(NbGraderPreprocessor):
    """Append `<unix time> start <student>` to `path` when nbgrader starts executing a student's notebook.

    It runs in nbgrader's process, not in the student's sandboxed kernel, which cannot see `path`. The grader
    reads the file to draw its progress bar and to time each notebook (`course_grading.progress`).
    """

    path = Unicode("", help="the progress log; empty: write nothing").tag(config=True)
    event = "start"

    def preprocess(self, nb, resources):
        if self.path:
            student = resources.get("nbgrader", {}).get("student", "")
            with open(self.path, "a", encoding="utf-8") as log:
                log.write(f"{time.time():.3f} {self.event} {student}\n")
        return nb, resources


class MarkFinished(MarkStarted):
    """Append `<unix time> finish <student>` once a student's notebook is executed and its grades saved."""

    event = "finish"

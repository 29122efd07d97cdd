"""Following a grading run: a progress bar while nbgrader works, and how long each notebook took.

Every nbgrader run appends `<unix time> start|finish <student>` lines to its workspace's progress log
(`preprocessors.MarkStarted` / `MarkFinished`). `Progress` reads those logs every half second to move a
tqdm bar (students done of total, elapsed time, an estimate of the rest) and, at the end, gives each
student's grading time.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import TextIO

LOG_NAME = "progress.log"  # in each workspace's root


def read_events(log: Path) -> list[tuple[float, str, str]]:
    """[(time, "start" or "finish", student)] from one progress log, in the order written; [] if none yet."""
    if not log.exists():
        return []
    text = log.read_text(encoding="utf-8")
    events = []
    for line in text.split("\n")[:-1]:  # complete lines only: the last one may be being written right now
        stamp, _, rest = line.partition(" ")
        event, _, student = rest.partition(" ")
        try:
            when = float(stamp)
        except ValueError:
            continue
        if event in ("start", "finish") and student:
            events.append((when, event, student))
    return events


def durations(logs: list[Path], end: float) -> dict[str, float]:
    """Seconds each student's notebook took: from its start to its finish mark.

    A notebook that never finished (nbgrader gave up on it) ran until the next one in its workspace
    started, or until `end` for the last one.
    """
    took: dict[str, float] = {}
    for log in logs:
        events = read_events(log)
        starts = [(t, s) for t, e, s in events if e == "start"]
        finishes = {s: t for t, e, s in events if e == "finish"}
        for k, (t, student) in enumerate(starts):
            stop = finishes.get(student, starts[k + 1][0] if k + 1 < len(starts) else end)
            took[student] = max(0.0, stop - t)
    return took


class Progress:
    """A context manager that shows a progress bar of the students graded so far, when `show` is true.

    Parameters
    ----------
    logs
        The progress log of each workspace graded at once.
    total
        The number of students being graded.
    show
        Draw the bar (on `stream`, stderr by default); otherwise only keep time.
    """

    def __init__(self, logs: list[Path], total: int, show: bool, stream: TextIO | None = None) -> None:
        self.logs, self.total, self.show = logs, total, show
        self.stream = stream if stream is not None else sys.stderr
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.started = self.ended = 0.0

    def done(self) -> int:
        """Students whose notebooks are graded so far."""
        return sum(1 for log in self.logs for _, event, _ in read_events(log) if event == "finish")

    def __enter__(self) -> Progress:
        self.started = time.time()
        if self.show and self.total:
            from tqdm import tqdm

            bar = tqdm(total=self.total, desc="grading", unit="notebook", file=self.stream, dynamic_ncols=True)
            self._thread = threading.Thread(target=self._follow, args=(bar,), daemon=True)
            self._thread.start()
        return self

    def _follow(self, bar) -> None:
        try:
            while not self._stop.wait(0.5):
                bar.update(min(self.done(), self.total) - bar.n)
            bar.update(self.total - bar.n)  # the run is over: notebooks nbgrader gave up on count as done
        finally:
            bar.close()

    def __exit__(self, *exc: object) -> None:
        self.ended = time.time()
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def durations(self) -> dict[str, float]:
        """{student: seconds} of the finished run (see `durations`)."""
        return durations(self.logs, self.ended or time.time())

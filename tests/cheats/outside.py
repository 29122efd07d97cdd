"""What the cheat battery checks from OUTSIDE the grader, after the command returned, and how it cleans up.

Every attack carries a marker unique to the run, so what it left behind can be found without guessing:
files named with the marker, processes whose command line holds it, bytes it sent to the test's listener.
Whatever is found is recorded first and then removed (processes killed, files deleted, appended lines cut),
so a failing battery leaves the machine as it found it.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import sysconfig
import tempfile
import threading
from pathlib import Path

# What `attacks/plant.py` writes into each file (and appends, after a newline, to existing ones).
PLANTED_LINE = "# planted by the cheat battery: {marker}\n"


class Listener:
    """A TCP listener on 127.0.0.1 (an ephemeral port) that records every connection and the bytes sent."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.2)  # so the serving thread notices `close` quickly
        self.port: int = self._sock.getsockname()[1]
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="cheat-listener", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (socket.timeout, OSError):
                continue
            with conn:
                conn.settimeout(2)
                try:
                    self.received.append(conn.recv(4096))
                except OSError:
                    self.received.append(b"")

    def close(self) -> list[bytes]:
        """Stop listening; return what each connection sent (one entry per connection)."""
        self._stop.set()
        self._thread.join(5)
        self._sock.close()
        return self.received


def _files(folder: Path) -> list[Path]:
    """Every file under `folder`, without Python's byte-code caches (which imports may rewrite)."""
    if not folder.exists():
        return []
    if folder.is_file():
        return [folder]
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def fingerprint(paths: list[Path]) -> dict[str, str]:
    """{file: sha256} of every file under `paths` (files or folders)."""
    return {str(f): hashlib.sha256(f.read_bytes()).hexdigest() for p in paths for f in _files(p)}


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Files added, removed or modified between two fingerprints."""
    return sorted(f"{f} ({'added' if f not in before else 'removed' if f not in after else 'modified'})"
                  for f in before.keys() | after.keys() if before.get(f) != after.get(f))


def plant_places(course_dir: Path, installed_course: Path, work: Path) -> tuple[list[Path], list[Path]]:
    """(folders searched one level deep, folders searched recursively) for files the `plant` attack writes."""
    home = Path.home()
    shallow = [home, home / ".ipython" / "profile_default" / "startup", Path("/tmp"), Path(tempfile.gettempdir()),
               Path(sysconfig.get_paths()["purelib"]), course_dir, installed_course.parent]
    deep = [course_dir / "course", course_dir / "solutions", installed_course, work]
    return shallow, deep


def marked_files(marker: str, shallow: list[Path], deep: list[Path]) -> list[Path]:
    """Files whose name holds `marker` in the `shallow` folders (top level) or anywhere under the `deep` ones."""
    found: set[Path] = set()
    for folder in shallow:
        if folder.is_dir():
            found.update(p for p in folder.iterdir() if marker in p.name)
    for folder in deep:
        if folder.is_dir():
            found.update(p for p in folder.rglob(f"*{marker}*"))
    return sorted(found)


def marked_appends(marker: str, files: list[Path]) -> list[Path]:
    """Those of `files` into which a line holding `marker` was written."""
    return [f for f in files if f.is_file() and marker.encode() in f.read_bytes()]


def marked_processes(marker: str) -> dict[int, str]:
    """{pid: command line} of every live process whose command line holds `marker` (read from /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if marker.encode() in cmdline:
            found[int(entry.name)] = cmdline.replace(b"\0", b" ").decode(errors="replace").strip()
    return found


def clean_up(marker: str, processes: dict[int, str], files: list[Path], appended: list[Path]) -> None:
    """Kill the marked processes (checking each still is one), delete the planted files, cut appended lines."""
    for pid in processes:
        if pid in marked_processes(marker):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for path in files:
        if path.is_dir():
            continue
        path.unlink(missing_ok=True)
    planted = b"\n" + PLANTED_LINE.format(marker=marker).encode()
    for path in appended:  # cut exactly what `plant` appended, so a colleague's edit meanwhile survives
        path.write_bytes(path.read_bytes().replace(planted, b""))

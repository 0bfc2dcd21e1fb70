"""Writing output folders and files safely: whole or not at all, never through a symbolic link.

The one helper every writer of a folder uses (runs, games, comparisons, sweeps, reports,
the MSEL file). The rules, for users in docs/sweeps.md ("Output folders"):

- **A folder is written under a temporary name and renamed when complete.** `new_folder`
  makes ``.NAME.partial-XXXXXXXX`` beside the folder asked for, the writers fill it, the
  completion marker `MARKER` (``complete.json``: every file with its size and SHA-256) is
  written last, and the folder is renamed into place. A run killed with -9 or stopped by
  a full disk leaves no folder under the name asked for (the partial one is removed when
  the error can be caught).
- **An existing folder is refused unless ``--force``** (`check_target`). ``--force`` removes
  only the project's own files (`is_own`), never another file and never through a
  symbolic link; a folder holding anything else is refused even with ``--force``.
- **A file is replaced, never written into** (`write_text`, `write_bytes`, `replacing`): a
  fresh file is made beside it by exclusive creation (``O_EXCL | O_NOFOLLOW``) and renamed
  over the name, so a symbolic link at the name is replaced, not followed.
- **A sweep folder grows in place** (it resumes), so it is not renamed: it is held by a
  lock (`lock_folder`: ``fcntl.flock`` on ``sweep.lock``, which holds the pid) and gets its
  marker when its last run is in.
- **A disk that is full, read-only or not ours** is an `OutputError` (exit 2) naming the
  path and the reason.

This module sits with the readers of input (`sim.spec.folders`) because folders are
also read back (``tabletop report``), and every layer above writes through it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from sim.errors import Problem, ScenarioError

MARKER = "complete.json"
"""The completion marker: written last, it names every file of the folder with its size and SHA-256."""

MARKER_FORMAT = 1
"""The marker's ``format``: raised when its shape changes."""

LOCK = "sweep.lock"
"""The lock file of a sweep folder (it holds the pid of the sweep that holds the lock)."""

REJECTED = "runs.rejected.csv"
"""Rows of a sweep's runs.csv set aside on resume (not runs of this sweep), with why."""

OWN_FILES = frozenset(
    {
        # a run folder (and a game's: decisions.yaml, play.json)
        "scenario.yaml", "summary.json", "travellers.csv", "alerts.csv", "events.csv", "timeseries.csv",
        "crossings.csv", "run.json", "injects.csv", "report.html", "decisions.yaml", "play.json",
        "wrongful_stops.csv", "trust.csv",  # written by runs that model costs
        # a live exercise's (tabletop exercise): its decisions, log, refusals, seats, the section per team
        "exercise.yaml", "exercise-log.jsonl", "refused.log", "seats.json", "teams.json",
        "links.html",  # the seats' links and QR codes (sim.dashboard.room_pages), until the hotwash replaces the folder
        # a comparison folder
        "a.yaml", "b.yaml", "pairs.csv", "comparison.json",
        # a sweep folder
        "sweep.yaml", "runs.csv", REJECTED, "points.csv", "sensitivity.csv", "manifest.json", "manifest.json.tmp",
        LOCK, MARKER,
    }
)  # fmt: skip
"""The files tabletop writes in an output folder: the only ones ``--force`` removes (with ``figures/*.png``)
and the ones the marker vouches for. A new file in a folder is added here (docs/architecture.md)."""

FIGURES = "figures"
"""The folder of figures inside an output folder (only ``*.png`` files in it are ours)."""

_PARTIAL = re.compile(r"\.[^/]*\.(partial|old)-[0-9a-f]{8}")
_TEMPORARY = re.compile(r"\.[^/]*\.tmp-[0-9a-f]{8}")
_CHUNK = 1 << 20


class OutputError(ScenarioError):
    """An output that cannot be written (exit status 2): a full or read-only disk, a folder in the way.

    Nothing half-written is left behind: a partial folder or file is removed before this is raised.
    """


def output_problem(exc: OSError, path: str | Path | None = None) -> Problem:
    """An `OSError` of a write as a problem naming the path and the reason (``No space left on device``)."""
    where = str(path if path is not None else exc.filename or "the output")
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ELOOP:
        reason = "is a symbolic link; tabletop does not write through one"
    return Problem(where, None, "", f"cannot write: {reason}")


def is_partial_name(name: str) -> bool:
    """Whether a folder's name is one `new_folder` gives a folder while it is being written."""
    return bool(_PARTIAL.fullmatch(name))


# ---------------------------------------------------------------- files


def _fresh(path: Path) -> tuple[Path, int]:
    """A new file beside `path`, made by exclusive creation (never an existing file or link)."""
    for _ in range(100):
        temporary = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")
        try:
            return temporary, os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path))  # pragma: no cover


@contextlib.contextmanager
def replacing(path: str | Path, binary: bool = False) -> Iterator[IO[Any]]:
    """A handle to write `path` anew: a fresh file beside it, renamed over `path` when the block ends.

    A symbolic link at `path` is replaced by the file, never written through. On an error the
    fresh file is removed and `path` is left as it was.

    Raises:
        OutputError: the file cannot be written (full or read-only disk, no permission).
    """
    path = Path(path)
    temporary: Path | None = None
    try:
        temporary, descriptor = _fresh(path)
        mode = "wb" if binary else "w"
        with os.fdopen(descriptor, mode, **({} if binary else {"encoding": "utf-8", "newline": ""})) as handle:
            yield handle
        os.replace(temporary, path)
        temporary = None
    except OSError as exc:
        raise OutputError([output_problem(exc, path)]) from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink()


def write_text(path: str | Path, text: str) -> Path:
    """Write `text` (UTF-8) to `path` by replacing it (`replacing`): whole or not at all, never through a link."""
    with replacing(path) as handle:
        handle.write(text)
    return Path(path)


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` by replacing it (`replacing`)."""
    with replacing(path, binary=True) as handle:
        handle.write(data)
    return Path(path)


def open_append(path: str | Path) -> IO[str]:
    """Open a text file to append rows to (created if missing), never through a symbolic link.

    Raises:
        OutputError: it cannot be opened, or it is a symbolic link.
    """
    path = Path(path)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o666)
    except OSError as exc:
        raise OutputError([output_problem(exc, path)]) from None
    return os.fdopen(descriptor, "a", encoding="utf-8", newline="")


def subfolder(folder: str | Path, name: str) -> Path:
    """``folder/name``, made if missing; refused when it is a symbolic link (figures would go elsewhere).

    Raises:
        OutputError: it is a link or a file, or cannot be made.
    """
    path = Path(folder) / name
    if path.is_symlink():
        raise OutputError([Problem(str(path), None, "", "is a symbolic link; tabletop does not write through one")])
    try:
        path.mkdir(exist_ok=True)
    except OSError as exc:
        raise OutputError([output_problem(exc, path)]) from None
    return path


# ---------------------------------------------------------------- the marker


def _digest(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def folder_files(folder: str | Path) -> list[str]:
    """Tabletop's own regular files in an output folder (``figures/*.png`` included), as sorted relative paths.

    Links, other files, the lock, the marker and temporary files are left out: the marker vouches for these.
    """
    folder = Path(folder)
    names = [p.name for p in folder.iterdir() if p.name in OWN_FILES and p.name not in (MARKER, LOCK)]
    figures = folder / FIGURES
    if figures.is_dir() and not figures.is_symlink():
        names += [f"{FIGURES}/{p.name}" for p in figures.iterdir() if p.suffix == ".png"]
    return sorted(name for name in names if not (folder / name).is_symlink() and (folder / name).is_file())


def write_marker(folder: str | Path, kind: str) -> Path:
    """Write `MARKER` into `folder`: the kind, the version, and every file with its size and SHA-256."""
    from sim.version import __version__

    folder = Path(folder)
    files = {}
    for name in folder_files(folder):
        size, sha = _digest(folder / name)
        files[name] = {"bytes": size, "sha256": sha}
    marker = {"format": MARKER_FORMAT, "kind": kind, "version": __version__, "files": files}
    return write_text(folder / MARKER, json.dumps(marker, indent=2) + "\n")


def read_marker(folder: str | Path) -> dict[str, Any] | None:
    """The folder's marker, or None when it has none (a folder of an earlier version, or unfinished).

    Raises:
        ScenarioError: the marker is not a marker (not JSON, not an object, files without sizes).
    """
    path = Path(folder) / MARKER
    if not path.exists() and not path.is_symlink():
        return None

    def bad(message: str) -> ScenarioError:
        return ScenarioError([Problem(str(path), None, "", message)])

    if path.is_symlink() or not path.is_file():
        raise bad("is not a file (a symbolic link or a folder)")
    try:
        marker = json.loads(path.read_text(encoding="utf-8"), parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad(f"is not the JSON a completion marker holds ({exc})") from None
    files = marker.get("files") if isinstance(marker, dict) else None
    if not isinstance(files, dict) or not all(
        isinstance(v, dict) and isinstance(v.get("bytes"), int) and isinstance(v.get("sha256"), str)
        for v in files.values()
    ):
        raise bad("is not a completion marker (an object whose 'files' give each file's bytes and sha256)")
    return marker


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def marker_problems(folder: str | Path, marker: dict[str, Any], redrawn: frozenset[str] = frozenset()) -> list[Problem]:
    """Files that differ from what the marker says: missing, a link, another size or another SHA-256.

    Args:
        folder: the folder.
        marker: its marker (`read_marker`).
        redrawn: files the caller is about to write again (``report.html``, ``figures/...``): not checked.
    """
    folder = Path(folder)
    problems = []
    for name, facts in sorted(marker["files"].items()):
        if name in redrawn or (name.startswith(f"{FIGURES}/") and FIGURES in redrawn):
            continue
        path = folder / name
        where = str(path)
        parts = name.split("/")
        if not name or ".." in parts or name.startswith("/") or len(parts) > 2:
            problems.append(Problem(str(folder / MARKER), None, "", "names a file outside the folder", name))
        elif path.is_symlink() or not path.is_file():
            problems.append(Problem(where, None, "", f"is missing or not a file, but {MARKER} lists it"))
        else:
            size, sha = _digest(path)
            if size != facts["bytes"]:
                problems.append(Problem(where, None, "", f"has {size} bytes, but {MARKER} says {facts['bytes']}: "
                                        "it was cut or changed after it was written"))  # fmt: skip
            elif sha != facts["sha256"]:
                problems.append(Problem(where, None, "", f"was changed after it was written (its SHA-256 is not "
                                        f"the one {MARKER} gives)"))  # fmt: skip
    return problems


# ---------------------------------------------------------------- folders


def is_own(folder: str | Path, name: str) -> bool:
    """Whether the entry `name` of an output folder is one tabletop writes (what ``--force`` may remove)."""
    path = Path(folder) / name
    if name in OWN_FILES or _TEMPORARY.fullmatch(name):
        return path.is_symlink() or path.is_file()
    if name == FIGURES and path.is_dir() and not path.is_symlink():
        return all(entry.suffix == ".png" and (entry.is_symlink() or entry.is_file()) for entry in path.iterdir())
    return False


def check_target(folder: str | Path, force: bool = False, ignore: tuple[str, ...] = ()) -> None:
    """Refuse an output folder that is in the way: a file, a link, or a folder that holds anything.

    With `force`, a folder is accepted when it holds only the project's own files (`is_own`);
    they are removed when the new folder takes its place, not before. Names in `ignore` (the
    lock a sweep holds while it checks its own folder) are not counted.

    Raises:
        OutputError: what is in the way, and what to do.
    """
    folder = Path(folder)
    if folder.is_symlink():
        raise OutputError([Problem(str(folder), None, "", "is a symbolic link; give the folder itself as --out")])
    if not folder.exists():
        for parent in folder.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise OutputError([Problem(str(parent), None, "", "cannot write: is a file, not a folder")])
                break
        return
    if not folder.is_dir():
        raise OutputError([Problem(str(folder), None, "", "is a file, not a folder; choose another --out")])
    try:
        names = sorted(entry.name for entry in folder.iterdir() if entry.name not in ignore)
    except OSError as exc:
        raise OutputError([output_problem(exc, folder)]) from None
    if not names:
        return
    if not force:
        raise OutputError([Problem(str(folder), None, "", "already holds files (" + _listed(names) + "); choose "
                                   "another --out, or add --force to replace tabletop's own files there")])  # fmt: skip
    foreign = [name for name in names if not is_own(folder, name)]
    if foreign:
        raise OutputError([Problem(str(folder), None, "", "holds files tabletop did not write (" + _listed(foreign)
                                   + "); --force removes only tabletop's own files: move them, or choose "
                                   "another --out")])  # fmt: skip


def _listed(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def clear_own_files(folder: str | Path, keep: tuple[str, ...] = ()) -> None:
    """Remove tabletop's own files from `folder` (never another file, never through a link), but those in `keep`.

    Raises:
        OutputError: a file cannot be removed.
    """
    folder = Path(folder)
    try:
        _clear(folder, keep)
    except OSError as exc:
        raise OutputError([output_problem(exc)]) from None


def _clear(folder: Path, keep: tuple[str, ...]) -> None:
    for entry in sorted(folder.iterdir()):
        if entry.name in keep or not is_own(folder, entry.name):
            continue
        if entry.name == FIGURES and not entry.is_symlink():
            for figure in entry.iterdir():
                figure.unlink()
            entry.rmdir()
        else:
            entry.unlink()


def _sibling(folder: Path, tag: str) -> Path:
    """A new, empty folder beside `folder`, by exclusive creation: ``.NAME.TAG-XXXXXXXX``."""
    for _ in range(100):
        path = folder.with_name(f".{folder.name}.{tag}-{secrets.token_hex(4)}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))  # pragma: no cover


@contextlib.contextmanager
def new_folder(folder: str | Path, kind: str, force: bool = False) -> Iterator[Path]:
    """Write an output folder whole or not at all.

    Yields a partial folder beside `folder` (``.NAME.partial-XXXXXXXX``) to write into. When
    the block ends, `MARKER` is written and the partial folder renamed to `folder` (one
    with only tabletop's files in it, under `force`, is set aside and removed). When the
    block raises, the partial folder is removed and `folder` is left as it was.

    Args:
        folder: the folder to write.
        kind: ``run`` or ``comparison`` (recorded in the marker).
        force: replace a folder that holds only tabletop's own files.

    Raises:
        OutputError: `folder` is in the way (`check_target`), or the disk refuses a write;
            the message names the file as it would have been called in `folder`.
    """
    folder = Path(folder)
    check_target(folder, force)
    partial: Path | None = None
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        partial = _sibling(folder, "partial")
        yield partial
        write_marker(partial, kind)
        _put_in_place(partial, folder, force)
        partial = None
    except OSError as exc:
        raise OutputError([_renamed(output_problem(exc), partial, folder)]) from None
    except OutputError as exc:
        raise OutputError([_renamed(p, partial, folder) for p in exc.problems]) from None
    finally:
        if partial is not None:
            shutil.rmtree(partial, ignore_errors=True)


def _renamed(problem: Problem, partial: Path | None, folder: Path) -> Problem:
    """The problem with the partial folder's name replaced by the folder's (what the user asked for)."""
    if partial is None or not problem.file.startswith(str(partial)):
        return problem
    file = str(folder) + problem.file[len(str(partial)) :]
    return Problem(file, problem.line, problem.path, problem.message, problem.value)


def _put_in_place(partial: Path, folder: Path, force: bool) -> None:
    check_target(folder, force)  # again: something may have arrived while the run ran
    if folder.is_dir() and any(folder.iterdir()):
        old = _sibling(folder, "old")
        os.replace(folder, old)  # a folder onto an empty one: allowed, and atomic
        os.replace(partial, folder)
        clear_own_files(old)
        old.rmdir()
    else:
        os.replace(partial, folder)


# ---------------------------------------------------------------- the lock of a sweep folder


class FolderLockedError(OutputError):
    """Another process holds the folder's lock (a sweep is running in it)."""


@contextlib.contextmanager
def lock_folder(folder: str | Path) -> Iterator[Path]:
    """Hold the lock of a sweep folder (``sweep.lock``, holding this process's pid) for the block.

    ``fcntl.flock``: the lock goes when the process does (a kill -9 included), so a stale
    lock file never blocks. The file is removed at the end of the block.

    Raises:
        FolderLockedError: another process holds it; the message gives its pid.
        OutputError: the lock file cannot be made (a read-only folder) or is a link.
    """
    path = Path(folder) / LOCK
    while True:
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
        except OSError as exc:
            raise OutputError([output_problem(exc, path)]) from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 64, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(descriptor)
            message = f"another tabletop sweep (pid {holder}) is running in this folder; wait for it, or stop it first"
            raise FolderLockedError([Problem(str(folder), None, "", message)]) from None
        try:
            same = os.stat(path, follow_symlinks=False).st_ino == os.fstat(descriptor).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(descriptor)  # the holder removed the file as we opened it: take the new one
    try:
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode("ascii"), 0)
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(descriptor)


def lock_holder(folder: str | Path) -> str | None:
    """The pid of the process that holds the folder's lock, or None when nobody does (read only: takes nothing)."""
    path = Path(folder) / LOCK
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return os.pread(descriptor, 64, 0).decode("ascii", "replace").strip() or "unknown"
    finally:
        os.close(descriptor)
    return None

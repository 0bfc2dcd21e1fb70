"""What kind of output folder a path is (a run, a comparison or a sweep), by the files each kind always holds.

The one place that knows it: `tabletop report` dispatches on it, a sweep's ``--resume``
checks it, and the debrief asks it. Folders are inputs too (they arrive by e-mail), so
this module sits with the other readers of input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

FolderKind = Literal["run", "comparison", "sweep"]

SIGNATURES: dict[FolderKind, tuple[str, ...]] = {
    "run": ("summary.json", "travellers.csv"),
    "comparison": ("comparison.json", "pairs.csv"),
    "sweep": ("sweep.yaml", "runs.csv"),
}
"""The files that make a folder of each kind (all of them must be there), checked in this order."""


def folder_kind(folder: str | Path) -> FolderKind | None:
    """The kind of output folder `folder` is, or None when it is none of them."""
    folder = Path(folder)
    for kind, files in SIGNATURES.items():
        if all((folder / name).is_file() for name in files):
            return kind
    return None


def is_folder_of(folder: str | Path, kind: FolderKind) -> bool:
    """Whether `folder` holds every file of an output folder of `kind`."""
    return all((Path(folder) / name).is_file() for name in SIGNATURES[kind])

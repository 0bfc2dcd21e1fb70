"""Compare two folders written by tests/tools/snapshot.sh, byte for byte.

What varies between two identical runs is taken out first: the snapshot's own folder
name, the wall time in a sweep report, and the order in which parallel workers
appended rows to runs.csv. Prints each file that differs; exits 1 when any does.

    python3 tests/tools/compare_snapshots.py BEFORE AFTER
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

TEXT = {".txt", ".stdout", ".html", ".csv", ".json", ".yaml"}


def normalised(path: Path, root: Path) -> bytes:
    """The file's bytes, with what varies between identical runs taken out."""
    data = path.read_bytes()
    if path.suffix not in TEXT:
        return data
    text = data.decode("utf-8", "replace").replace(str(root), "SNAPSHOT")
    text = re.sub(r'wall time</td><td class="">[0-9.]+ s', "wall time X", text)
    if path.name == "runs.csv":
        lines = text.splitlines()
        text = "\n".join([lines[0], *sorted(lines[1:])])
    return text.encode()


def main(before: Path, after: Path) -> int:
    """Print the files that differ; return the exit status."""
    files_a = {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
    files_b = {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
    differences = [f"only in one: {name}" for name in sorted(files_a ^ files_b)]
    differences += [f"differs: {name}" for name in sorted(files_a & files_b)
                    if normalised(before / name, before) != normalised(after / name, after)]  # fmt: skip
    print("\n".join(differences + [f"{len(files_a & files_b)} files compared, {len(differences)} differences"]))
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))

"""What an inject kind must be: the `Inject` base class, and what its checks are given.

An inject kind (in `sim.spec.injects`) subclasses `Inject`: the fields every inject has
are here, with the methods each kind must give, abstract, so registration can refuse a
kind that lacks one. `parse_link_ref` reads the ``A -> B`` links that several kinds name.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Protocol

from pydantic import Field

from sim.spec.field_types import Strict
from sim.spec.yaml_files import PathKey

if TYPE_CHECKING:
    from sim.debrief.run_tables import RunTables
    from sim.engine.model import SharingModel
    from sim.spec.scenario import Scenario


class AddProblem(Protocol):
    """How a check reports a problem: at `path`, in words, with the value (unless `show` is false)."""

    def __call__(self, path: PathKey, message: str, value: Any = None, show: bool = True) -> None:
        """Report a problem at `path`."""


@dataclass(frozen=True)
class References:
    """What the injects of a scenario may name, as the checks of meaning found it in the raw data.

    Attributes:
        agencies: the agency ids.
        links: each directed link (sender, receiver) given in ``sharing.links``, with its index there.
        groups: the group names.
        broken_links: the directed links of ``sharing.links`` entries with an end that names no
            agency, that end None: a reference to such a link repeats that entry's problem.
    """

    agencies: set[str]
    links: dict[tuple[str, str], int]
    groups: set[str]
    broken_links: frozenset[tuple[str | None, str | None]] = frozenset()

    def link_is_broken(self, sender: str, receiver: str) -> bool:
        """Whether an entry of ``sharing.links`` with a wrong end may be the link `sender` -> `receiver`."""
        return any(a in (None, sender) and b in (None, receiver) for a, b in self.broken_links)


def parse_link_ref(text: str) -> tuple[str, str, bool] | None:
    """Parse ``A -> B`` (one direction) or ``A <-> B`` (both); None if malformed."""
    both = "<->" in text
    parts = text.split("<->") if both else text.split("->")
    if len(parts) != 2:
        return None
    a, b = (p.strip() for p in parts)
    if not a or not b:
        return None
    return a, b, both


class Inject(Strict):
    """The fields every inject has, and what each kind must say about itself."""

    day: Annotated[float, Field(ge=0.0, allow_inf_nan=False)] = Field(
        description="When, in days from the start (fractions allowed)."
    )
    note: str | None = None
    subject: str | None = None
    expected_action: str | None = None
    objective: str | None = None

    kind: str

    @property
    def at_hours(self) -> float:
        """The inject's time in hours."""
        return self.day * 24.0

    @classmethod
    @abstractmethod
    def check_references(cls, raw: dict[str, Any], at: PathKey, known: References, add: AddProblem) -> None:
        """Report what an inject of this kind names that the scenario does not have.

        Args:
            raw: the inject as given (not yet validated: skip what has the wrong shape).
            at: its field path (``("injects", i)``).
            known: what the scenario has.
            add: where problems go.
        """

    @abstractmethod
    def apply(self, model: SharingModel, number: int) -> None:
        """Take effect in a running model (through its handlers) and record that it was done.

        Args:
            model: the model, at the inject's time.
            number: the inject's position in ``Scenario.injects``.
        """

    @abstractmethod
    def script_text(self) -> str:
        """What happens, for the players (the MSEL's script, after the note)."""

    @abstractmethod
    def describe(self) -> str:
        """What the inject does, in one line of the after-action report."""

    @abstractmethod
    def what_was_done(self, tables: RunTables) -> str:
        """How the exercise responded to the inject, from a run's tables (the Evaluation Guide)."""

    @abstractmethod
    def reaches(self) -> str:
        """The agency the inject falls to; "" when it falls to every border agency."""

    def script(self) -> str:
        """The MSEL script: the note, then what happens."""
        head = f"{self.note}. " if self.note else ""
        return head + self.script_text()

    def players(self, scenario: Scenario) -> list[str]:
        """The agencies that receive the inject in the MSEL, one row each in T3SF's JSON."""
        return [self.reaches()] if self.reaches() else []

    def player(self, scenario: Scenario) -> str:
        """Who receives the inject in the MSEL, in words (the CSV's ``to`` column)."""
        return ", ".join(self.players(scenario))

    def log_line(self, detail: str) -> str:
        """The event-log text when the inject is done: its kind, `detail`, and the note if it adds something."""
        note = self.note or ""
        return f"{self.kind}: {detail}" + (f" ({note})" if note and note != detail else "")

    def trust_after(self) -> dict[tuple[str, str], float]:
        """The trust the inject gives to directed links (none but a trust inject's)."""
        return {}



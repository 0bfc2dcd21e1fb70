"""The inject kinds: one class per kind, holding everything about it.

An inject kind is a subclass of `sim.spec.inject_base.Inject` (the fields every inject has),
defined in this module and registered with `@inject_kind`. The class gives

- its fields (pydantic, with ``kind: Literal["name"]``; the docstring is its JSON Schema description),
- ``check_references``: its checks of meaning (the links, agencies and groups it names),
- ``apply``: its effect on a running model, through the model's handlers,
- ``script_text``: what the MSEL tells the players,
- ``describe``: the after-action report's one line on it (in the current language: `sim.i18n`, ``run`` domain),
- ``what_was_done``: the Exercise Evaluation Guide's account of the response (the same),
- ``reaches``: the agency it falls to.

Registration refuses a class that lacks any of these, so a kind cannot be declared and then
silently do nothing. `INJECT_KINDS` lists the kinds in file order; `AnyInject`, the type of
``Scenario.injects``, is built from it. Add a kind here, in this module, before `AnyInject`.
"""

from __future__ import annotations

import functools
import operator
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

from pydantic import Field

from sim.i18n import format_int, format_number, translator
from sim.spec.checks import did_you_mean
from sim.spec.field_types import Identifier, Probability
from sim.spec.inject_base import AddProblem, Inject, References, parse_link_ref
from sim.spec.yaml_files import PathKey

if TYPE_CHECKING:
    from sim.debrief.run_tables import RunTables
    from sim.engine.model import SharingModel
    from sim.spec.scenario import Scenario


T = translator("run")

INJECT_KINDS: dict[str, type[Inject]] = {}
"""Every inject kind by name, in the order of the format's documentation."""


def inject_kind(cls: type[Inject]) -> type[Inject]:
    """Register an inject kind (a class decorator); refuse one that is not complete.

    Raises:
        TypeError: the class has no ``kind: Literal["name"]`` field, no docstring, a name
            already taken, or lacks one of the methods `Inject` asks for.
    """
    field = cls.model_fields.get("kind")
    names = get_args(field.annotation) if field is not None else ()
    if field is None or len(names) != 1 or not isinstance(names[0], str) or not field.is_required():
        raise TypeError(f"{cls.__name__} needs a required field `kind: Literal['its name']`")
    name = names[0]
    if not (cls.__doc__ or "").strip():
        raise TypeError(f"inject kind {name!r} ({cls.__name__}) needs a docstring: its description in the schema")
    missing = sorted(getattr(cls, "__abstractmethods__", ()))
    if missing:
        raise TypeError(f"inject kind {name!r} ({cls.__name__}) lacks {', '.join(missing)}")
    if name in INJECT_KINDS:
        raise TypeError(f"inject kind {name!r} is registered twice ({INJECT_KINDS[name].__name__}, {cls.__name__})")
    INJECT_KINDS[name] = cls
    return cls


def check_inject(raw: dict[str, Any], at: PathKey, known: References, horizon: Any, add: AddProblem) -> None:
    """The checks of meaning of one inject: its day within the horizon, then its kind's references."""
    day = raw.get("day")
    if isinstance(day, int | float) and isinstance(horizon, int | float) and day > horizon:
        add((*at, "day"), f"is after the horizon ({horizon:g} days)", day)
    kind = raw.get("kind")
    if isinstance(kind, str) and kind in INJECT_KINDS:
        INJECT_KINDS[kind].check_references(raw, at, known, add)


def _check_link(raw: dict[str, Any], at: PathKey, known: References, add: AddProblem) -> None:
    """A link reference: well written, both ends existing agencies, each direction in ``sharing.links``."""
    text = raw.get("link")
    if not isinstance(text, str):
        return
    ref = parse_link_ref(text)
    if ref is None:
        add((*at, "link"), "write a link as `A -> B` (one direction) or `A <-> B` (both)", text)
        return
    a, b, both = ref
    for pair in [(a, b), (b, a)] if both else [(a, b)]:
        if pair not in known.links and a in known.agencies and b in known.agencies and not known.link_is_broken(*pair):
            add((*at, "link"), f"no link {pair[0]} -> {pair[1]} in sharing.links", text)
    for end in (a, b):
        if end not in known.agencies:
            add((*at, "link"), f"no such agency {end!r}{did_you_mean(end, known.agencies)}", text)


def _alerts_on(link: str, alerts: Any) -> Any:
    """The rows of `alerts` carried on `link` (one direction or both)."""
    ref = parse_link_ref(link)
    pairs = [(ref[0], ref[1]), (ref[1], ref[0])] if ref and ref[2] else [(ref[0], ref[1])] if ref else []
    return alerts.loc[[(f, to) in pairs for f, to in zip(alerts["from"], alerts["to"], strict=True)]]


def _waited_on(link: str, tables: RunTables) -> str:
    on = _alerts_on(link, tables.alerts)
    waited = on[on["sent_hours"].notna() & (on["sent_hours"] > on["created_hours"])]
    return T.ngettext("{count} alert waited for {link} to come back up",
                      "{count} alerts waited for {link} to come back up", len(waited)).format(
        count=format_int(len(waited)), link=link)  # fmt: skip


@inject_kind
class IntelInject(Inject):
    """Fresh intelligence for one agency."""

    kind: Literal["intel"]
    agency: str
    travellers: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="How many travellers still en route, chosen at random."
    )
    ids: list[str] | None = Field(default=None, description="Or: exactly these travellers.")
    identifier: Identifier = Field(default_factory=lambda: {"biometric": 1.0})

    @classmethod
    def check_references(cls, raw: dict[str, Any], at: PathKey, known: References, add: AddProblem) -> None:
        """The agency exists; the inject gives `travellers` or `ids`, not both."""
        agency = raw.get("agency")
        if isinstance(agency, str) and agency not in known.agencies:
            add((*at, "agency"), f"no such agency{did_you_mean(agency, known.agencies)}", agency)
        if (raw.get("travellers") is not None) == (raw.get("ids") is not None):
            add(at, "an intel inject gives either `travellers` (how many) or `ids` (which)", show=False)

    def apply(self, model: SharingModel, number: int) -> None:
        """The agency learns about the chosen travellers, as from its own intelligence."""
        chosen = model._intel_targets(number, self)
        model._record_inject(number, f"{self.agency} learns about {len(chosen)} travellers", self.agency)
        model._learn_from_inject(number, self.agency, chosen, self.identifier)

    def log_line(self, detail: str) -> str:
        """The event-log text: the note always follows."""
        note = self.note or ""
        return f"{self.kind}: {detail}" + (f" ({note})" if note else "")

    def script_text(self) -> str:
        """Who receives intelligence on whom."""
        who = ", ".join(self.ids) if self.ids else f"{self.travellers} travellers still en route"
        return f"{self.agency} receives fresh intelligence on {who}."

    def describe(self) -> str:
        """Who learns about whom."""
        if self.ids:
            return T.gettext("{agency} learns about {ids}").format(agency=self.agency, ids=", ".join(self.ids))
        return T.ngettext("{agency} learns about {count} traveller en route",
                          "{agency} learns about {count} travellers en route", self.travellers or 0).format(
            agency=self.agency, count=format_int(self.travellers or 0))  # fmt: skip

    def what_was_done(self, tables: RunTables) -> str:
        """How many of the travellers the agency learned about it shared at once, later, or before."""
        alerts, events, t, agency = tables.alerts, tables.events, self.at_hours, self.agency
        learned = events[(events["kind"] == "learn") & (events["agency"] == agency) & (events["time_hours"] == t)
                         & events["detail"].str.endswith("(inject)")]  # fmt: skip
        ids = set(learned["traveller"])
        theirs = alerts[(alerts["origin"] == agency) & alerts["subject"].isin(ids)]
        first = theirs[theirs["created_hours"] >= t].groupby("subject")["created_hours"].min()
        now, later = int((first == t).sum()), int((first > t).sum())
        before = len(set(theirs.loc[theirs["created_hours"] < t, "subject"]) - set(first.index))
        held = len(ids) - now - later - before
        did = T.ngettext("{agency} learned about {count} traveller; shared {now} at once",
                         "{agency} learned about {count} travellers; shared {now} at once", len(ids)).format(
            agency=agency, count=format_int(len(ids)), now=format_int(now))  # fmt: skip
        did += T.gettext(", {count} later").format(count=format_int(later)) if later else ""
        did += T.gettext(", {count} already shared before").format(count=format_int(before)) if before else ""
        did += T.gettext(", held {count}").format(count=format_int(held)) if held else ""
        return did

    def reaches(self) -> str:
        """The agency that learns."""
        return self.agency


class _OnALink(Inject):
    """What the kinds that act on one link share (not a kind itself: it is not registered).

    Each kind declares its own ``link`` field, so the fields keep their order in the schema.
    """

    if TYPE_CHECKING:
        link: str

    @classmethod
    def check_references(cls, raw: dict[str, Any], at: PathKey, known: References, add: AddProblem) -> None:
        """The link exists."""
        _check_link(raw, at, known, add)

    def what_was_done(self, tables: RunTables) -> str:
        """How many alerts waited for the link."""
        return _waited_on(self.link, tables)

    def reaches(self) -> str:
        """The sender of the link."""
        ref = parse_link_ref(self.link)
        return ref[0] if ref else ""


@inject_kind
class LinkDownInject(_OnALink):
    """A link (or both directions) goes down."""

    kind: Literal["link_down"]
    link: str = Field(description="`A -> B` or `A <-> B`.")
    hours: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] | None = Field(
        default=None, description="Back up after this many hours (default: until a link_up)."
    )

    def apply(self, model: SharingModel, number: int) -> None:
        """The link stops carrying alerts (for `hours`, or until a link_up)."""
        for link in model._links_named(self.link):
            model._take_down(link, self.hours)
        model._record_inject(number, f"{self.link} down" + (f" for {self.hours:g} h" if self.hours else ""))

    def script_text(self) -> str:
        """The link goes down (for how long)."""
        return f"The link {self.link} goes down" + (f" for {self.hours:g} hours." if self.hours else ".")

    def describe(self) -> str:
        """The link is down, for how long."""
        if self.hours:
            return T.gettext("{link} down for {hours} h").format(link=self.link, hours=format_number(self.hours))
        return T.gettext("{link} down until it is brought back up").format(link=self.link)


@inject_kind
class LinkUpInject(_OnALink):
    """A link comes back up."""

    kind: Literal["link_up"]
    link: str

    def apply(self, model: SharingModel, number: int) -> None:
        """The link carries alerts again, those it held first."""
        for link in model._links_named(self.link):
            model._bring_up(link)
        model._record_inject(number, f"{self.link} up")

    def script_text(self) -> str:
        """The link is back."""
        return f"The link {self.link} is back up."

    def describe(self) -> str:
        """The link is back."""
        return T.gettext("{link} back up").format(link=self.link)


@inject_kind
class TrustInject(_OnALink):
    """The trust on a link changes."""

    kind: Literal["trust"]
    link: str
    trust: Probability

    def apply(self, model: SharingModel, number: int) -> None:
        """The link's receiver trusts what comes on it as much as `trust` says."""
        for link in model._links_named(self.link):
            model._set_trust(link, self.trust)
        model._record_inject(number, f"trust on {self.link} now {self.trust:g}")

    def script_text(self) -> str:
        """The new trust."""
        if self.trust < 1:
            return f"Trust on {self.link} falls to {self.trust:g}."
        return f"Trust on {self.link} becomes {self.trust:g}."

    def describe(self) -> str:
        """The new trust."""
        return T.gettext("trust on {link} becomes {trust}").format(link=self.link, trust=format_number(self.trust, 2))

    def what_was_done(self, tables: RunTables) -> str:
        """How many alerts the receiver discarded afterwards."""
        on = _alerts_on(self.link, tables.alerts)
        after = on[on["delivered_hours"].notna() & (on["delivered_hours"] >= self.at_hours)]
        discarded = int((after["fate"] == "discarded").sum())
        return T.ngettext("{agency} discarded {count} of the {total} alert it received on {link} afterwards",
                          "{agency} discarded {count} of the {total} alerts it received on {link} afterwards",
                          len(after)).format(agency=self.reaches(), count=format_int(discarded),
                                             total=format_int(len(after)), link=self.link)  # fmt: skip

    def reaches(self) -> str:
        """The receiver of the link."""
        ref = parse_link_ref(self.link)
        return ref[1] if ref else ""

    def trust_after(self) -> dict[tuple[str, str], float]:
        """The new trust of each direction it names."""
        ref = parse_link_ref(self.link)
        if ref is None:
            return {}
        a, b, both = ref
        return {(a, b): self.trust, (b, a): self.trust} if both else {(a, b): self.trust}


@inject_kind
class SurgeInject(Inject):
    """Extra travellers of a group depart at the inject's time."""

    kind: Literal["surge"]
    group: str
    travellers: Annotated[int, Field(ge=1, le=10_000_000)]

    @classmethod
    def check_references(cls, raw: dict[str, Any], at: PathKey, known: References, add: AddProblem) -> None:
        """The group exists."""
        group = raw.get("group")
        if isinstance(group, str) and group not in known.groups:
            add((*at, "group"), f"no such group{did_you_mean(group, known.groups)}", group)

    def apply(self, model: SharingModel, number: int) -> None:
        """Nothing more: the model made the travellers at set-up, departing at this time."""
        model._record_inject(number, f"{self.travellers} {self.group} depart")

    def script_text(self) -> str:
        """How many set off."""
        return f"{self.travellers} more {self.group} set off at once."

    def describe(self) -> str:
        """How many depart."""
        return T.ngettext("{count} more {group} depart", "{count} more {group} depart", self.travellers).format(
            count=format_int(self.travellers), group=self.group)

    def what_was_done(self, tables: RunTables) -> str:
        """How many of those who left were stopped."""
        surge = tables.travellers[tables.travellers["depart_hours"] == self.at_hours]
        stopped = T.ngettext("{count} of the {total} who left were stopped",
                             "{count} of the {total} who left were stopped", len(surge))
        return stopped.format(count=format_int(int((surge["outcome"] == "detected").sum())),
                                             total=format_int(len(surge)))  # fmt: skip

    def reaches(self) -> str:
        """No one agency: every border on the group's route."""
        return ""

    def players(self, scenario: Scenario) -> list[str]:
        """The border agencies on the group's route (every screening agency when none is on it)."""
        group = next(g for g in scenario.travellers.groups if g.name == self.group)
        borders = [a.id for a in scenario.agencies if a.screens and a.country in group.route]
        return borders or [a.id for a in scenario.agencies if a.screens]


AnyInject = Annotated[functools.reduce(operator.or_, INJECT_KINDS.values()), Field(discriminator="kind")]
"""An inject of any registered kind, told apart by its `kind` field."""

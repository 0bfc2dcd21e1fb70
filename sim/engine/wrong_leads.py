"""Wrong leads: an intelligence source with ``precision`` below 1 also learns about innocent travellers.

A source with precision ``p`` whose ``n`` true leads were picked (its ``covers``) also makes
``round(n * (1 - p) / p)`` wrong leads (halves up, as ``covers``). Wrong lead ``k`` is about an
innocent subject who travels like the group of the source's ``k``-th true lead in cover order
(cycling when there are more wrong leads than true ones): the same route and laws (departure
day, legs, documents, party). The source believes it and learns about them as about a person
of interest: the same ``learn_hours``, ``relative_to`` and ``identifier`` law.

Innocent subjects are travellers with ``of_interest`` false, added after every person of
interest (surges included), source by source in file order. Every draw about them comes from
the source's own streams, keyed by the lead's number ``k``:
``("wrong", (agency, rank), what[, leg])``. So adding wrong leads changes no person of
interest's draw, and a lower precision keeps the first wrong leads and adds more.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.spec.scenario import as_written

if TYPE_CHECKING:
    from sim.engine.model import SharingModel


def wrong_lead_count(true_leads: int, precision: float) -> int:
    """``round(n * (1 - p) / p)``, halves up: the wrong leads of a source with `true_leads` true ones.

    On the precision as written (`sim.spec.scenario.as_written`), as ``covers`` is: 2 true leads at
    precision 0.8 make exactly 0.5 wrong leads, so 1 (binary floating point gave 0.49999...).
    """
    exact = as_written(precision)
    return math.floor(true_leads * (1 - exact) / exact + Fraction(1, 2))


@dataclass(frozen=True)
class WrongLeads:
    """The wrong leads of one intelligence source.

    Attributes:
        source: the scenario's intelligence entry.
        number: its stream key part, ``(agency, rank)``.
        groups: the group name each wrong lead travels with, in lead order.
    """

    source: Any
    number: tuple[str, int]
    groups: tuple[str, ...]

    @classmethod
    def of(cls, source: Any, number: tuple[str, int], true_groups: list[str]) -> WrongLeads:
        """The wrong leads of `source`, whose true leads (in cover order) are of `true_groups`."""
        count = wrong_lead_count(len(true_groups), source.precision) if true_groups else 0
        return cls(source, number, tuple(true_groups[k % len(true_groups)] for k in range(count)))


def add_innocent_subjects(
    model: SharingModel, leads: list[WrongLeads], pick_identifier: Callable[[dict[str, float], float], str]
) -> list[tuple[float, tuple[Any, int, str, str]]]:
    """Create the innocent subject of every wrong lead (``model._add_traveller``).

    Returns:
        The source's learning about each, as (time, learn payload), for the model to schedule.
    """
    learning: list[tuple[float, tuple[Any, int, str, str]]] = []
    groups = {group.name: group for group in model.exercise.travellers.groups}
    for wrong in leads:
        count = len(wrong.groups)
        if count == 0:
            continue
        key = ("wrong", wrong.number)

        def draw(what: str, *more: int, key: tuple[object, ...] = key, count: int = count) -> np.ndarray:
            return model.streams.uniforms((*key, what, *more), count)

        depart_u, documents_u, party_u = draw("depart"), draw("documents"), draw("party")
        learn_u, identifier_u = draw("learn"), draw("identifier")
        longest = max(len(groups[name].route) for name in set(wrong.groups)) - 1
        leg_u = [draw("leg", j) for j in range(longest)]
        source = wrong.source
        agency = model.agencies[source.agency]
        for k, name in enumerate(wrong.groups):
            group = groups[name]
            depart = float(group.depart_day.ppf(depart_u[k : k + 1])[0]) * 24.0
            legs = tuple(float(group.leg_hours.ppf(leg_u[j][k : k + 1])[0]) for j in range(len(group.route) - 1))
            # Halves to even, as the format says (np.rint).
            party = max(1, int(np.rint(group.party_size.ppf(party_u[k : k + 1])[0])))
            traveller = model._add_traveller(
                group,
                depart_hours=depart,
                leg_hours=legs,
                fraudulent=bool(documents_u[k] < group.documents.fraudulent_share),
                party_size=party,
                of_interest=False,
            )
            learn = float(source.learn_hours.ppf(learn_u[k : k + 1])[0])
            if source.relative_to == "departure":
                learn += depart
            at = max(learn, 0.0)
            if at <= model.horizon:
                identifier = pick_identifier(source.identifier, float(identifier_u[k]))
                learning.append((at, (agency, traveller.index, identifier, "intelligence")))
    return learning

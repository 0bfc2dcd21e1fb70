"""Alert messages: the record of one alert on one link, and its label.

Below both the model (which creates and moves messages) and `sim.engine.outcomes`
(which reads them after the run), so neither has to import the other for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.spec.field_types import IDENTIFIERS

if TYPE_CHECKING:
    from sim.engine.model import Link


@dataclass(slots=True, eq=False)
class Message:
    """One alert message on one link.

    `started` is when the chain of messages it belongs to began: the time its
    origin agency first shared the intelligence (a relay inherits it).
    `fate` moves from ``held`` (link down) or ``in_transit`` to ``lost``,
    ``accepted``, ``discarded``, ``verifying`` then ``verified``; ``dropped``
    when a down link drops instead of holding.
    """

    id: int
    traveller: int
    identifier: str
    origin: str
    path: tuple[str, ...]
    link: Link
    created: float
    started: float
    sent: float | None = None
    delivered: float | None = None
    settled: float | None = None
    fate: str = "in_transit"


def alert_label(number: int) -> str:
    """The id of alert message `number` (1-based): ``A-000042``."""
    return f"A-{number:06d}"


def carried_identifier(known: str, carries: tuple[str, ...] | None) -> str | None:
    """The identifier an alert carries on a link that may carry only `carries`.

    An agency that knows a traveller by biometrics also knows their name and documents; one
    that knows their documents, their name. The alert carries the strongest identifier the
    link allows among those; None when it allows none (the alert is not sent).
    """
    if carries is None or known in carries:
        return known
    for identifier in IDENTIFIERS[IDENTIFIERS.index(known) + 1 :]:
        if identifier in carries:
            return identifier
    return None

"""The words and colours of the simulation, once: miss causes, outputs, and their colours.

Everything a person reads about a run (the terminal, figures, reports, the
dashboard, the notebooks) names a miss cause or an output with the words here,
and draws it in the colours here. This module imports nothing, so every layer
(the engine as much as the dashboard) may import it.

The words are written here once, in English, marked with `N_` for the ``words`` gettext domain
(``make messages`` extracts them); whoever shows one translates it then: ``sim.i18n.word(
CAUSE_LABELS[cause])``. Each phrase is whole (``"share missed: no agency knew"``), never glued
from parts, so a translator sees it as the reader will.
"""


def N_(message: str) -> str:  # noqa: N802 (gettext's name; sim.i18n.N_ too, but this module imports nothing)
    """Mark `message` for the ``words`` catalogue; it stays English here (`sim.i18n.word` translates it)."""
    return message


CAUSES: tuple[str, ...] = ("no_intel", "not_shared", "late", "not_trusted", "expired", "screening_miss")
"""Miss causes, from the earliest stage of the chain to the last (see `sim.engine.outcomes`)."""

OPTIONAL_CAUSES: frozenset[str] = frozenset({"expired"})
"""Causes a run reports only when its scenario models the cost of sharing (``expired``: watchlist
retention). A summary without them is as before they existed; show a cause only if the summary has it."""

BASE_CAUSES: tuple[str, ...] = tuple(cause for cause in CAUSES if cause not in OPTIONAL_CAUSES)
"""The causes every run reports, in chain order."""


def causes_in(misses: dict[str, object] | None) -> tuple[str, ...]:
    """The causes a summary's ``misses`` reports, in chain order (`BASE_CAUSES` if it is not given)."""
    if misses is None:
        return BASE_CAUSES
    return tuple(cause for cause in CAUSES if cause in misses or cause not in OPTIONAL_CAUSES)


CAUSE_LABELS: dict[str, str] = {
    "no_intel": N_("no agency knew"),
    "not_shared": N_("known, but not shared"),
    "late": N_("alert came too late"),
    "not_trusted": N_("alert not trusted"),
    "expired": N_("entry expired (retention)"),
    "screening_miss": N_("check at the border failed"),
}
"""Each cause in the words of the debrief (terminal, figures, reports, dashboard)."""

# ---------------------------------------------------------------- outputs

REPORTED_OUTPUTS: tuple[str, ...] = (
    "detection_rate", "late_share", "travellers", "crossed", "detected", "missed", "en_route",
    "median_hours_to_detection", "median_hours_late",
    *[f"misses.{cause}" for cause in BASE_CAUSES],
    "alerts.sent", "alerts.delivered", "alerts.lost", "alerts.discarded", "alerts.verified",
    "companions_stopped", "companions_not_stopped",
)  # fmt: skip
"""The outputs of a run the model's DataCollector reports (keys of ``summary.json``, nested ones dotted)."""

MISS_SHARES: dict[str, str] = {cause: f"{cause}_share" for cause in CAUSES}
"""Each cause -> the output that is its share of the travellers who crossed (``late_share``).

Only ``late_share`` is in a run's summary; comparisons compute the others per replication.
"""

COMPARED_OUTPUTS: tuple[str, ...] = (
    "detection_rate",
    "detected",
    MISS_SHARES["late"],
    *[MISS_SHARES[cause] for cause in BASE_CAUSES if cause != "late"],
    "median_hours_to_detection",
    "median_hours_late",
)
"""The outputs a paired comparison compares, per replication (shares are of travellers who crossed)."""

COST_COMPARED_OUTPUTS: tuple[str, ...] = (MISS_SHARES["expired"], "wrongful_stops", "stop_precision")
"""What a comparison also compares when its runs model the cost of sharing (their summaries have ``wrongful_stops``)."""

COMPARED_OUTPUT_WORDS: dict[str, str] = {
    "detection_rate": N_("detection rate"),
    "detected": N_("travellers detected"),
    MISS_SHARES["no_intel"]: N_("share missed: no agency knew"),
    MISS_SHARES["not_shared"]: N_("share missed: known, but not shared"),
    MISS_SHARES["late"]: N_("share missed: alert came too late"),
    MISS_SHARES["not_trusted"]: N_("share missed: alert not trusted"),
    MISS_SHARES["expired"]: N_("share missed: entry expired (retention)"),
    MISS_SHARES["screening_miss"]: N_("share missed: check at the border failed"),
    "median_hours_to_detection": N_("median hours from intelligence to detection"),
    "median_hours_late": N_("median hours late (late misses)"),
    "wrongful_stops": N_("wrongful stops (innocent people stopped)"),
    "stop_precision": N_("stop precision (persons of interest among everyone stopped)"),
}
"""The comparison's outputs (`COMPARED_OUTPUTS`, `COST_COMPARED_OUTPUTS`) in the words of its report table."""

OUTPUT_WORDS: dict[str, str] = {
    "misses.no_intel": N_("missed: no agency knew"),
    "misses.not_shared": N_("missed: known, but not shared"),
    "misses.late": N_("missed: alert came too late"),
    "misses.not_trusted": N_("missed: alert not trusted"),
    "misses.expired": N_("missed: entry expired (retention)"),
    "misses.screening_miss": N_("missed: check at the border failed"),
    "wrongful_stops.total": N_("wrongful stops"),
    "wrongful_stops.by_kind.ordinary": N_("wrongful stops of ordinary travellers (namesakes)"),
    "wrongful_stops.by_kind.innocent_subject": N_("wrongful stops of innocent subjects of wrong leads"),
    "wrongful_stops.by_kind.pnr": N_("wrongful stops on PNR flags"),
    "stop_precision": N_("stop precision (persons of interest among everyone stopped)"),
    "alerts.refuted": N_("wrong alerts refuted by verification"),
    "innocent_subjects.wrongly_stopped": N_("innocent subjects wrongly stopped"),
}
"""Words for a run's outputs (keys of ``summary.json``, nested ones dotted) where their name is not enough.

Sweep figures name any other output by its key (``late_share`` -> "late share"); the
comparison's table has its own phrasings (`COMPARED_OUTPUT_WORDS`).
"""

OUTPUT_NAMES: dict[str, str] = {
    "detection_rate": N_("detection rate"),
    "late_share": N_("late share"),
    "travellers": N_("travellers"),
    "crossed": N_("crossed"),
    "detected": N_("detected"),
    "missed": N_("missed"),
    "en_route": N_("en route"),
    "median_hours_to_detection": N_("median hours to detection"),
    "median_hours_late": N_("median hours late"),
    "alerts.sent": N_("alerts: sent"),
    "alerts.delivered": N_("alerts: delivered"),
    "alerts.lost": N_("alerts: lost"),
    "alerts.discarded": N_("alerts: discarded"),
    "alerts.verified": N_("alerts: verified"),
    "companions_stopped": N_("companions stopped"),
    "companions_not_stopped": N_("companions not stopped"),
}
"""The other outputs of `REPORTED_OUTPUTS` by name, as the sweep figures write them when `OUTPUT_WORDS` has no
phrase (the key, ``.`` as ``: ``, ``_`` as a space), marked here so that they translate too."""

KIND_WORDS: dict[str, str] = {
    "intelligence": N_("intelligence agency"),
    "police": N_("police"),
    "border": N_("border agency"),
    "hub": N_("regional hub"),
}
"""Each kind of agency (`KIND_COLOURS`) in words (the network figure's legend, the dashboard's map)."""

IDENTIFIER_NAMES: dict[str, str] = {"biometric": N_("biometric"), "document": N_("document"), "name": N_("name"),
                                    "pnr": N_("PNR")}  # fmt: skip
"""Each identifier type in words (the report, the game, the live exercise's pages); ``pnr``: a PNR rule's flag."""


def identifier_name(identifier: str) -> str:
    """The English word of an identifier type (an unknown one as written); `sim.i18n.word` translates it."""
    return IDENTIFIER_NAMES.get(identifier, identifier)

# ---------------------------------------------------------------- colours

OKABE_ITO: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
"""The Okabe-Ito palette, in the order categories take it: distinct for the common forms of colour blindness."""

BLUE, VERMILLION, GREEN, PURPLE, ORANGE, SKY_BLUE, BLACK, YELLOW = OKABE_ITO
GREY = "#999999"
"""Neutral grey (not an Okabe-Ito colour): for what nobody acted on."""

COLOURS: dict[str, str] = {
    "no_intel": GREY,
    "not_shared": ORANGE,
    "late": VERMILLION,
    "not_trusted": PURPLE,
    "expired": BLACK,
    "screening_miss": SKY_BLUE,
    "detected": GREEN,
    "en_route": YELLOW,
    "flow": BLUE,
}
"""The colour of each miss cause, of detections (``detected``), of travellers en route, and of alerts (``flow``)."""

KIND_COLOURS: dict[str, str] = {"intelligence": BLUE, "police": ORANGE, "border": GREEN, "hub": PURPLE}
"""The colour of each kind of agency (network figure, dashboard map)."""

STOP_LABELS: dict[str, str] = {
    "of_interest": N_("persons of interest (detections)"),
    "ordinary": N_("ordinary travellers (namesakes)"),
    "innocent_subject": N_("innocent subjects of wrong leads"),
    "pnr": N_("ordinary travellers flagged by PNR"),
}
"""Who a stop stopped (`sim.debrief.run_tables.STOP_KINDS`), in the words of the debrief."""

STOP_COLOURS: dict[str, str] = {"of_interest": GREEN, "ordinary": VERMILLION, "innocent_subject": PURPLE, "pnr": ORANGE}
"""The colour of each kind of stop (stops figure): detections green as everywhere, innocents in warm colours."""

TRUST_COLOURS: tuple[str, ...] = (BLUE, ORANGE, GREEN, PURPLE, SKY_BLUE, VERMILLION, BLACK)
"""The colours of the adaptive links of the trust figure, in order (Okabe-Ito; yellow left out: too pale on white)."""

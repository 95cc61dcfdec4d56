"""The split protocol and its one description.

:meth:`SplitProtocol.describe` is the only text that says how the data were split: the
split-overlap table and Table 1 state it (via :func:`describe_protocol`), the answer
takes its unit and strategy from :meth:`SplitProtocol.answer_fields` and names the unit
with :data:`UNIT_WORDS`. The words are those the result files have always carried.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The schema's defaults of ``split.strategy`` and ``split.unit`` (also what a level
#: table's protocol says when the config gives none).
DEFAULT_STRATEGY = "stratified"
DEFAULT_UNIT = "segment"

#: How the answer names each split unit.
UNIT_WORDS = {
    "segment": (
        "segment (a connected stretch of the union of all kept emotions' level-1 intervals, "
        "over all views of one session)"
    ),
    "recording": "recording",
    "session": "session (all views of one dialogue)",
    "actor": "actor (speaker-independent)",
    "corpus": "recording, as the corpus's own split gives it",
    "interval": (
        "interval: the paper's protocol, where intervals of different emotions can overlap "
        "in time across parts (the same audio and frames can be in train and in test)"
    ),
}


@dataclass(frozen=True)
class SplitProtocol:
    """How the study splits: ``split.strategy``, ``split.unit``, K folds dealt R times."""

    strategy: str = DEFAULT_STRATEGY
    unit: str = DEFAULT_UNIT
    folds: int = 1
    repeats: int = 1

    def describe(self) -> str:
        """One line for tables and reports: how the data were split (and whether it leaks)."""
        strategy, unit, folds, repeats = self.strategy, self.unit, int(self.folds), self.repeats
        if strategy == "corpus":
            where = "the corpus's own split per recording, one held-out test part"
        elif folds == 1:
            where = "one held-out test part"
        else:
            where = (
                f"{folds}-fold cross-validation, val = the next fold, every interval tested once"
            )
            if int(repeats) > 1:
                where = (
                    f"{folds}-fold cross-validation repeated {int(repeats)} times with "
                    f"different seeds, val = the next fold, every interval tested once per "
                    "repeat"
                )
        kind = "actor (speaker-independent)" if strategy == "actor" else unit
        text = f"split unit: {kind}; {where}"
        if strategy != "actor" and unit == "interval":
            text += (
                "; unit interval is the paper's protocol and LEAKS: intervals of different "
                "emotions overlap in time, so test time can also be train time"
            )
        return text

    def answer_fields(self, fusion_selection: str) -> dict[str, Any]:
        """What the answer is told of the split (rule report_answer's ``protocol``): the
        unit, the strategy and what chose the fusion weights (``val`` or ``test``)."""
        return {"unit": self.unit, "strategy": self.strategy, "fusion_selection": fusion_selection}


def describe_protocol(strategy: str, unit: str, folds: int, repeats: int = 1) -> str:
    """:meth:`SplitProtocol.describe` of these values."""
    return SplitProtocol(strategy, unit, int(folds), int(repeats)).describe()


def unit_words(unit: str) -> str:
    """How the answer names split unit ``unit``."""
    return UNIT_WORDS.get(unit, unit)

"""The photos a colour finds: those it dominates, by the shares stored at index time.

A colour alone ("red", "黄色") finds the photos it dominates: those it covers at least
its threshold of, 15 % for a chromatic colour, more for the colours backgrounds are made
of. Set by looking at contact sheets of the 1,000 sample photos, each colour's photos by
share: from 15 % up the red ones look red (below, a red detail: a cheetah's meal, rose
hips); at 15 % yellow still finds a cab, at 10 % it finds yellow-green grass; a white
background is a quarter of a product photo; most photos are a third grey.

As the colour of a thing ("red car", "白色的花") it needs 60 % of that share, at least the
10 % stored: a car or a daisy fills part of the photo (the sample daisy is 15 % white
petals on 71 % green leaves). The score is the share: the redder photo first.
"""

from __future__ import annotations

from collections.abc import Sequence

from smartalbum.colours import NAMES
from smartalbum.search.arrays import SearchArrays, colour_shares
from smartalbum.search.understand.colours import OF_A_THING, PREFIX

DOMINANT = 0.15
THRESHOLDS = {"yellow": 0.2, "white": 0.25, "black": 0.3, "brown": 0.3, "green": 0.3, "grey": 0.5}
OF_A_THING_SHARE = 0.6  # of the threshold, for a thing's colour
STORED = 0.10  # the least share stored (smartalbum.colours.MIN_SHARE)


def threshold(name: str, of_a_thing: bool = False) -> float:
    """The share of a photo a colour must cover: to dominate it, or as a thing's colour."""
    alone = THRESHOLDS.get(name, DOMINANT)
    return max(STORED, alone * OF_A_THING_SHARE) if of_a_thing else alone


def colour_scores(arrays: SearchArrays, refs: Sequence[str]) -> list[tuple[int, float, str]]:
    """(photo id, share, taken_at) of the live photos any ``colour:NAME`` ref dominates."""
    wanted = {
        name.removesuffix(OF_A_THING): threshold(name.removesuffix(OF_A_THING), name != bare)
        for r in refs
        if r.startswith(PREFIX)
        for name in [r.removeprefix(PREFIX)]
        for bare in [name.removesuffix(OF_A_THING)]
        if bare in NAMES
    }
    # The shares are held in memory (search/arrays.py): a LIKE read every photo's colours.
    return colour_shares(arrays, wanted) if wanted else []

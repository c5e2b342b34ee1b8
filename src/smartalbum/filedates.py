"""Capture times read from file names, for photos whose EXIF has none.

Messaging apps strip EXIF and scanners never write it, but their file names often carry
the time, as PhotoPrism reads them (its PR #2414): cameras and phones
(``IMG_20240315_101500.jpg``, ``PXL_20240315_101500123.jpg``, ``20240315_101500.jpg``),
WhatsApp (``IMG-20240315-WA0001.jpg``, a day only), screenshots
(``Screenshot_2024-03-15-10-15-00.png``, ``Screenshot 2024-03-15 at 10.15.00.png``),
Signal, Telegram and Dropbox (``2024-03-15 10.15.00.jpg``), and WeChat's milliseconds
since 1970 (``mmexport1710497700000.jpg``). Every part is checked against the calendar
and the clock, and a date after tomorrow is not a date: ``IMG_1234.JPG`` or a serial
number that happens to read as one stays the file's own time.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

FILE_DATE = "mtime"  # the file's modification time stood in: the photo has no date of its own
FROM_NAME = "filename"  # a date and time read from the file name
FROM_NAME_DAY = "filename_day"  # a day read from the file name; its time is noon, a stand-in

_EARLIEST_YEAR = 1970  # no digital photo, nor any name-giving app, is older
# Noon is nearest on average to the real time of a photo whose name gives only its day.
_NOON = (12, 0, 0)

# A year, month and day run together or split by one separator used twice, with no digit
# on either side (so a longer number is not cut into a date); then perhaps a time.
_DAY = r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<s>[-_.]?)(?P<m>\d{2})(?P=s)(?P<d>\d{2})"
# A time may run on into milliseconds (Pixel: 101500123) but not into another number.
_TIME = r"(?:[ _T-]+(?:at )?(?P<H>\d{2})(?P<t>[-_.:]?)(?P<M>\d{2})(?P=t)(?P<S>\d{2})(?:\d{3})?)?"
_DATE = re.compile(_DAY + _TIME + r"(?!\d)", re.IGNORECASE)
# Milliseconds since 1970, only after the prefixes of the apps known to name files so.
_EPOCH_MS = re.compile(r"^(?:mmexport|wx_camera_|microMsg\.)(?P<ms>1\d{12})(?!\d)", re.IGNORECASE)


def date_from_name(name: str, now: datetime | None = None) -> tuple[str, str] | None:
    """(ISO local time, FROM_NAME or FROM_NAME_DAY) read from a file name, or None.

    ``now`` bounds the plausible (tomorrow at the latest); it defaults to the clock.
    """
    latest = (now or datetime.now()) + timedelta(days=1)
    epoch = _EPOCH_MS.match(name)
    if epoch:
        when = datetime.fromtimestamp(int(epoch["ms"]) / 1000).replace(microsecond=0)
        return (when.isoformat(), FROM_NAME) if when <= latest else None
    for match in _DATE.finditer(name):
        found = _valid(match, latest)
        if found is not None:
            return found
    return None


def _valid(match: re.Match[str], latest: datetime) -> tuple[str, str] | None:
    """The match as a time if every part is in range and it is not in the future."""
    has_time = match["H"] is not None
    clock = (int(match["H"]), int(match["M"]), int(match["S"])) if has_time else _NOON
    try:
        when = datetime(int(match["y"]), int(match["m"]), int(match["d"]), *clock)
    except ValueError:  # month 13, 30 February, hour 25: not a date
        return None
    if not datetime(_EARLIEST_YEAR, 1, 1) <= when <= latest:
        return None
    return when.isoformat(), FROM_NAME if has_time else FROM_NAME_DAY


def fallback_time(name: str, mtime: float) -> tuple[str, str]:
    """(ISO local time, its source) of a photo without EXIF time: its name's, else its file's."""
    found = date_from_name(name)
    if found is not None:
        return found
    return datetime.fromtimestamp(mtime).isoformat(timespec="seconds"), FILE_DATE

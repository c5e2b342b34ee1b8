"""A part of a file served as a file of its own, with HTTP range requests (RFC 9110 §14).

Starlette's FileResponse answers ranges of a whole file; a Motion Photo's video is the end
of a JPEG, so its bytes are read here (a phone's clip: a few megabytes) and one range of them
answered, as a browser's <video> asks (``bytes=0-``, ``bytes=N-M``, ``bytes=-N``).
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import Request
from fastapi.responses import Response

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def sliced(request: Request, path: Path, start: int, length: int, media_type: str) -> Response:
    """``length`` bytes of ``path`` from ``start``, whole (200) or the one range asked (206)."""
    with path.open("rb") as stream:
        stream.seek(start)
        data = stream.read(length)
    size = len(data)
    headers = {"Accept-Ranges": "bytes"}
    asked = _RANGE.fullmatch((request.headers.get("range") or "").strip())
    if asked is None or not (asked[1] or asked[2]):  # none, several, or not bytes: all of it
        return Response(data, media_type=media_type, headers=headers)
    if asked[1]:
        first = int(asked[1])
        last = min(int(asked[2]), size - 1) if asked[2] else size - 1
    else:  # the last N bytes
        first, last = max(0, size - int(asked[2])), size - 1
    if first > last:
        headers["Content-Range"] = f"bytes */{size}"
        return Response(status_code=416, headers=headers)
    headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    return Response(data[first : last + 1], status_code=206, media_type=media_type, headers=headers)

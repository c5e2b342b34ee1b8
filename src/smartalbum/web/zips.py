"""A ZIP as an HTTP answer: streamed as it is made, saved under a name of its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi.responses import StreamingResponse

from smartalbum.errors import NotFoundError
from smartalbum.i18n import t
from smartalbum.library import download

PAGE = 500  # photos read at a time (library.pages.MAX_PAGE)
# What the schema says a download answers.
ZIP: dict[int | str, dict[str, Any]] = {200: {"content": {"application/zip": {}}}}


def zip_response(files: download.Originals, name: str) -> StreamingResponse:
    """The files as a ZIP streamed as it is made, saved as ``name``.zip."""
    if not files.any():
        raise NotFoundError(t("nothing to download: no photo file is left"))
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)
    return StreamingResponse(
        download.zip_stream(files),
        media_type="application/zip",
        # An ASCII name for old clients, the title itself (RFC 6266) for the rest.
        headers={"Content-Disposition": f'attachment; filename="{safe or "photos"}.zip"; '
                                        f"filename*=UTF-8''{quote(name + '.zip')}",
                 "Cache-Control": "private, no-store"},
    )  # fmt: skip


def every_id(pages: Callable[[str, int, int], dict[str, Any]], target: str) -> list[int]:
    """Every photo id of an album or moment, read page by page in its order."""
    first = pages(target, 0, PAGE)
    ids = [p["id"] for p in first["photos"]]
    for offset in range(PAGE, first["count"], PAGE):
        ids += [p["id"] for p in pages(target, offset, PAGE)["photos"]]
    return ids

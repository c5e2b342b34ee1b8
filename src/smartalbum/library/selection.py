"""What a person does to many photos at once, beyond the trash and albums: correct their label.

One request, one transaction, one activity entry, whatever the number of photos: all of
them are corrected or, if one is not in the library, none.
"""

from __future__ import annotations

from collections.abc import Sequence

from smartalbum.catalog import claim_photos
from smartalbum.errors import RequestError
from smartalbum.i18n import t
from smartalbum.library import activity, corrections, marks
from smartalbum.library.service import PhotoLibrary


def relabel(
    library: PhotoLibrary, ids: Sequence[int], action: str, class_ref: str, by: str | None
) -> list[int]:
    """Set, confirm, reject or clear one class on every photo named; their albums follow."""
    if action not in corrections.ACTIONS:
        raise RequestError(
            t("unknown correction {action!r} (use one of {choices})", action=action,
              choices=", ".join(corrections.ACTIONS))
        )  # fmt: skip
    label = library.label(class_ref)
    with library.sessions.begin() as session:
        wanted = marks.present(session, ids)
        claim_photos(session, wanted)
        for photo_id in wanted:
            corrections.correct(session, photo_id, action, label, library.rules, by)
        subject = f"{action} {label.wnid}: " + activity.photos_subject(wanted)
        activity.record(session, by, activity.RELABEL, subject)
    return wanted

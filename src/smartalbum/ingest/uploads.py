"""Resumable uploads into the upload root: the server side of tus 1.0.0, without HTTP.

An upload is a row of the ``uploads`` table (a random id, the file's name, length and
sha256, who it is for) and a temporary file ``<root>/.partial/<id>``, whose length is how
far the upload got: the truth after a crash. Chunks are appended under an exclusive lock
on that file and fsynced before they are acknowledged. When the last byte is in, the
sha256 is checked, the type sniffed from the bytes, and the file is linked into place
(``placement.py``); only then does the row say STORED, and only then is the temporary
name removed. A crash at any point leaves either a temporary file (resumed, or finished
at the next start) or a whole file in place: never half a photo in the library.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Float,
    Integer,
    String,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal_column,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from smartalbum import video
from smartalbum.catalog import ABANDONED, MISSING, RECEIVING, STORED, Photo, Upload, table
from smartalbum.errors import (
    ChecksumMismatchError,
    ImageDecodeError,
    NotFoundError,
    RequestError,
    UnsupportedImageError,
    UploadOffsetError,
    UploadTooLargeError,
)
from smartalbum.i18n import t
from smartalbum.imaging import sniff
from smartalbum.ingest import placement
from smartalbum.ingest.placement import INDEXED_SUFFIXES

log = logging.getLogger(__name__)

SHA256 = re.compile(r"^[0-9a-f]{64}$")
STALE_SECONDS = 86400.0  # an upload with no progress for a day is given up
CLEANUP_EVERY = 3600.0  # how often creating an upload also cleans up the stale ones
HASH_BLOCK = 1024 * 1024
MB = 1024 * 1024
UPLOADS = table(Upload)


@dataclass(frozen=True)
class Uploader:
    """Who an upload is for: an account, or a share link's guests (into the sharer's folder)."""

    owner: str  # the account whose folder receives the file (a guest's: the sharer's)
    link_id: int | None = None  # a guest's share link; None: the account itself


@dataclass(frozen=True)
class NewUpload:
    """What a client announces before the first byte."""

    name: str
    size: int
    sha256: str
    modified: float | None = None  # the file's time on the client, seconds since the epoch
    filetype: str | None = None  # its media type, as the client's browser says


@dataclass(frozen=True)
class Created:
    """The answer to a creation: an upload to send bytes to, or the photo already here."""

    upload: Upload | None
    photo_id: int | None = None  # when the content is already here (None: not yet indexed)

    @property
    def exists(self) -> bool:
        """Whether the content is already in the library (nothing to send)."""
        return self.upload is None


class UploadStore:
    """The uploads of one library into its upload root."""

    def __init__(self, sessions: sessionmaker[Session], root: Path, max_bytes: int) -> None:
        self.sessions = sessions
        self.engine: Engine = sessions.kw["bind"]  # Core statements: no session's upkeep
        self.root = root
        self.partials = root / ".partial"  # hidden: the scanner skips dot-folders
        self.max_bytes = max_bytes
        self._lock = threading.Lock()  # creation's find-or-insert, the hashers
        self._hashers: dict[str, tuple[Any, int]] = {}  # id -> (sha256 so far, its offset)
        self._cleaned = 0.0

    # -- asking ----------------------------------------------------------------------------

    def already_here(self, digests: list[str]) -> dict[str, int | None]:
        """Of these sha256s, the ones the library holds (anyone's, not in the trash): each
        with its photo's id, or None for an upload stored and not yet indexed."""
        wanted = sorted({d.lower() for d in digests})
        if not wanted:
            return {}
        with self.sessions() as session:
            return _held(session, wanted)

    def find(self, who: Uploader, upload_id: str) -> Upload:
        """The upload with this id, if it is this uploader's; else NotFoundError."""
        with self.sessions() as session:
            row = session.get(Upload, upload_id)
        if row is None or row.owner != who.owner or row.link_id != who.link_id:
            raise NotFoundError(t("no upload {upload_id}", upload_id=upload_id))
        return row

    def offset(self, upload: Upload) -> int:
        """How many bytes of the upload are here."""
        if upload.status == STORED:
            return upload.size
        try:
            return self.partial(upload.id).stat().st_size
        except FileNotFoundError:
            return 0

    def partial(self, upload_id: str) -> Path:
        """The temporary file of an upload."""
        return self.partials / upload_id

    def describe(self, upload: Upload, look: bool = True) -> dict[str, Any]:
        """The upload as the API shows it; its photo's id once the photo is indexed (a read;
        ``look``: False for one just stored, which cannot be indexed yet)."""
        photo_id = upload.photo_id
        if look and photo_id is None and upload.status == STORED and upload.path:
            with self.sessions() as session:
                photo_id = session.scalar(select(Photo.id).where(Photo.path == upload.path))
        return {
            "id": upload.id,
            "name": upload.name,
            "size": upload.size,
            "offset": self.offset(upload),
            "status": upload.status,
            "path": upload.path,
            "photo_id": photo_id,
            "created_at": upload.created_at,
        }

    def recent(self, who: Uploader, limit: int = 100) -> list[dict[str, Any]]:
        """The uploader's uploads, newest first."""
        query = (
            select(Upload)
            .where(Upload.owner == who.owner, _link_is(who.link_id))
            .order_by(Upload.created_at.desc())
            .limit(limit)
        )
        with self.sessions() as session:
            rows = list(session.scalars(query))
        return [self.describe(row) for row in rows]

    # -- creating --------------------------------------------------------------------------

    def create(
        self, who: Uploader, new: NewUpload, budget_mb: int | None = None, whole: bool = False
    ) -> Created:
        """A new upload, or the one of the same content this uploader is still sending, or
        "already here". 413 past the size limit or a link's budget, 415 for a type we do not
        index: both before any byte. ``whole``: its bytes came with the creation and are
        written next (its temporary file is made then, by the first write)."""
        self._check(new)
        self._maybe_clean_up()
        # Its empty temporary file is made before the lock: other creations need not wait on
        # the disk. One not wanted after all is removed; one a crash left behind is a stray
        # that start-up removes. Not fsynced: no byte of it is acknowledged yet, and a lost
        # one is an offset of 0 (the first chunk makes it again, and fsyncs its folder).
        # A whole body's is not made here at all: making a file costs the kernel more than
        # anything else a creation does, and the write makes it anyway.
        row = self._new_row(who, new, touch=not whole)
        try:
            # One transaction for the question and the row, on a connection (a session costs
            # more, for nothing an insert needs): each costs the request's thread its own
            # connection and commit otherwise.
            with self._lock, self.engine.begin() as connection:
                found = _asked(connection, who, new)
                if found is not None:  # here already, or a closed tab or a dropped connection
                    self.partial(row.id).unlink(missing_ok=True)  # asks for its upload under way
                    return found
                if budget_mb is not None and who.link_id is not None:
                    self._check_budget(connection, who.link_id, new, budget_mb)
                connection.execute(_INSERT, _columns(row))
        except BaseException:
            self.partial(row.id).unlink(missing_ok=True)
            raise
        return Created(row)

    def _new_row(self, who: Uploader, new: NewUpload, touch: bool = True) -> Upload:
        """A new upload's row, not yet added, and (``touch``) its empty temporary file."""
        now = time.time()
        upload_id = secrets.token_hex(16)
        if not os.path.isdir(self.partials):  # a look is cheaper than making it each time
            self.partials.mkdir(parents=True, exist_ok=True)
        if touch:
            open(self.partial(upload_id), "xb").close()
        return Upload(
            id=upload_id, owner=who.owner, link_id=who.link_id, name=new.name, size=new.size,
            sha256=new.sha256, modified=new.modified, status=RECEIVING, created_at=now,
            updated_at=now,
        )  # fmt: skip

    def _check(self, new: NewUpload) -> None:
        if not SHA256.match(new.sha256):
            raise RequestError(
                t("{name}: the sha256 must be 64 lowercase hex digits", name=new.name)
            )
        if new.size > self.max_bytes:
            raise UploadTooLargeError(
                t("{name} is {size:.0f} MB, over the {limit:.0f} MB limit for one file",
                  name=new.name, size=new.size / MB, limit=self.max_bytes / MB)
            )  # fmt: skip
        suffix = os.path.splitext(new.name)[1].lower()
        media = (new.filetype or "").lower()
        typed = media.startswith(("image/", "video/")) or media in ("", "application/octet-stream")
        if (suffix and suffix not in INDEXED_SUFFIXES) or not typed or (not suffix and not media):
            raise UnsupportedImageError(
                new.name,
                t("not a photo type the library indexes ({kinds})",
                  kinds=" ".join(sorted(INDEXED_SUFFIXES))),
            )  # fmt: skip

    def _check_budget(
        self, session: Session | Connection, link_id: int, new: NewUpload, budget: int
    ) -> None:
        """A link's guests may store up to its budget (uploads under way count already)."""
        used = session.scalar(
            select(func.coalesce(func.sum(Upload.size), 0)).where(
                Upload.link_id == link_id, Upload.status.in_((RECEIVING, STORED))
            )
        )
        if int(used or 0) + new.size > budget * MB:
            left = max(0.0, budget - int(used or 0) / MB)
            raise UploadTooLargeError(
                t("{name}: this share link's upload budget of {budget} MB is used up "
                  "({left:.1f} MB left)", name=new.name, budget=budget, left=left)
            )  # fmt: skip

    # -- receiving -------------------------------------------------------------------------

    def appender(self, upload: Upload, offset: int) -> Appender:
        """An open, locked temporary file to append the chunk starting at ``offset`` to;
        409 if that is not how far the upload got, or another request is writing it."""
        if upload.status != RECEIVING:
            raise UploadOffsetError(t("{name}: this upload is complete already", name=upload.name))
        with self._lock:
            hasher = self._hashers.pop(upload.id, None)
        return Appender(self, upload, offset, hasher)

    def remember_hash(self, upload_id: str, hasher: Any, offset: int) -> None:
        """Keep the running sha256 of an upload's bytes so far for its next chunk."""
        with self._lock:
            self._hashers[upload_id] = (hasher, offset)

    def progressed(self, upload: Upload) -> None:
        """Note that the upload moved on (it is not stale)."""
        with self.sessions.begin() as session:
            session.execute(
                update(Upload).where(Upload.id == upload.id).values(updated_at=time.time())
            )

    def finish(
        self, upload: Upload, digest: str | None = None, data: bytes | None = None
    ) -> Upload:
        """Check, sniff and place a complete upload; the row becomes STORED with its path.

        A wrong sha256 or a type we do not index removes the upload (row and bytes) and
        raises the error naming the file. ``digest``: the sha256, if the caller has it;
        ``data``: the file's bytes, if the caller holds them all (sniffed and dated from
        memory: opening the file again for each question cost more than the questions).
        """
        partial = self.partial(upload.id)
        try:
            actual = digest or _sha256_of(partial)
            if actual != upload.sha256:
                raise ChecksumMismatchError(
                    t("{name}: the bytes that arrived do not have the sha256 announced "
                      "(sent {sent}, received {got}); nothing was stored",
                      name=upload.name, sent=upload.sha256[:12], got=actual[:12])
                )  # fmt: skip
            if data is None:
                fmt = video.sniff_file(partial) or sniff(partial, upload.name)
            else:
                fmt = video.sniff(data[: video.HEAD]) or sniff(data, upload.name)
        except (ChecksumMismatchError, ImageDecodeError):
            self._remove(upload.id)
            raise
        return self._place(upload, partial, fmt, data)

    def _place(self, upload: Upload, partial: Path, fmt: str, data: bytes | None = None) -> Upload:
        folder, name = self._destination(upload, partial, fmt, data)
        # Linked already by a run that crashed before it recorded so: the same inode.
        target = _linked_copy(partial, folder, name) or placement.place(partial, folder, name)
        with self.engine.begin() as connection:  # Core: the ORM's update costs twice as much
            connection.execute(
                _STORE, {"upload_id": upload.id, "path": str(target), "now": time.time()}
            )
        # Not fsynced: a temporary name that comes back after a power cut belongs to no
        # upload under way, and start-up removes it.
        partial.unlink(missing_ok=True)
        upload.status, upload.path = STORED, str(target)
        return upload

    def _destination(
        self, upload: Upload, partial: Path, fmt: str, data: bytes | None = None
    ) -> tuple[Path, str]:
        """The upload's folder and name: the same answer each time it is asked (the creation
        time stands in for "now", so a crash's second try lands where the first did)."""
        taken = placement.taken_at_of(partial, fmt, data)
        year, month = placement.month_folder(taken, upload.modified, upload.created_at)
        return self.root / (upload.owner or "local") / year / month, placement.safe_name(
            upload.name, fmt
        )

    def cancel(self, upload: Upload) -> None:
        """Drop an upload under way: its bytes and its row (tus termination)."""
        if upload.status == STORED:
            raise UploadOffsetError(
                t("{name}: this upload is stored already; delete the photo instead",
                  name=upload.name)
            )  # fmt: skip
        self._remove(upload.id)

    def _remove(self, upload_id: str) -> None:
        with self._lock:
            self._hashers.pop(upload_id, None)
        self.partial(upload_id).unlink(missing_ok=True)
        with self.sessions.begin() as session:
            session.execute(delete(Upload).where(Upload.id == upload_id))

    # -- upkeep ----------------------------------------------------------------------------

    def recover(self) -> list[Path]:
        """At start-up: finish the uploads whose bytes were all in when the server stopped,
        drop temporary files no upload owns; the folders of stored uploads not yet indexed
        (to index now)."""
        with self.sessions() as session:
            rows = list(session.scalars(select(Upload).where(Upload.status != ABANDONED)))
        owned = {row.id for row in rows if row.status == RECEIVING}
        if self.partials.is_dir():
            for stray in self.partials.iterdir():
                if stray.name not in owned:  # stored (the crash came before the unlink) or dropped
                    stray.unlink(missing_ok=True)
        folders: set[Path] = set()
        for row in rows:
            if row.status == RECEIVING and self.offset(row) == row.size:
                try:
                    row = self.finish(row)
                except (ChecksumMismatchError, ImageDecodeError) as exc:
                    log.warning("upload %s dropped at start-up: %s", row.id, exc.message)
                    continue
            if row.status == STORED and row.photo_id is None and row.path:
                folders.add(Path(row.path).parent)
        return sorted(folders)

    def clean_up(self, idle: float = STALE_SECONDS) -> int:
        """Give up uploads with no progress for ``idle`` seconds: their bytes are removed,
        their rows kept as ABANDONED; how many."""
        cutoff = time.time() - idle
        with self.sessions() as session:
            stale = list(
                session.scalars(
                    select(Upload.id).where(Upload.status == RECEIVING, Upload.updated_at < cutoff)
                )
            )
        for upload_id in stale:
            self.partial(upload_id).unlink(missing_ok=True)
        if stale:
            with self.sessions.begin() as session:
                session.execute(update(Upload).where(Upload.id.in_(stale)).values(status=ABANDONED))
        return len(stale)

    def _maybe_clean_up(self) -> None:
        now = time.monotonic()
        if self._cleaned and now - self._cleaned < CLEANUP_EVERY:
            return
        self._cleaned = now
        try:
            count = self.clean_up()
        except Exception:  # upkeep must not cost a client its upload
            log.exception("cleaning up stale uploads failed")
            return
        if count:
            log.info("gave up %d upload(s) with no progress for a day", count)


class Appender:
    """One chunk's writer: the upload's temporary file, locked, from the right offset.

    The lock is an ``flock`` on the file, so two requests (or two server processes)
    cannot interleave bytes of the same upload. ``close`` fsyncs before it answers.
    """

    def __init__(
        self, store: UploadStore, upload: Upload, offset: int, hasher: tuple[Any, int] | None
    ) -> None:
        self.store = store
        self.upload = upload
        self.size = upload.size  # read per write and per question: an ORM attribute costs more
        # Made again if a power cut took the unsynced empty file of a creation: offset 0.
        try:
            self.fd = os.open(store.partial(upload.id), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        except FileNotFoundError:
            raise NotFoundError(t("no upload {upload_id}", upload_id=upload.id)) from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise UploadOffsetError(
                t("{name}: another request is sending this upload", name=upload.name)
            ) from None
        self.offset = os.fstat(self.fd).st_size
        if offset != self.offset:
            os.close(self.fd)
            raise UploadOffsetError(
                t("{name}: the chunk starts at byte {sent}, but {have} bytes are here",
                  name=upload.name, sent=offset, have=self.offset)
            )  # fmt: skip
        self.hasher = hasher[0] if hasher is not None and hasher[1] == offset else None
        if self.hasher is None and offset == 0:
            self.hasher = hashlib.sha256()
        self.first = offset == 0  # the temporary file's name is not durable yet
        self.synced = True  # nothing written since the last fsync

    def write(self, data: bytes) -> None:
        """Append bytes; past the announced length is a 413 (what fit is kept)."""
        room = self.size - self.offset
        keep = data[:room]
        view = memoryview(keep)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]
        self.offset += len(keep)
        self.synced = False
        if self.hasher is not None:
            self.hasher.update(keep)
        if len(data) > room:
            raise UploadTooLargeError(
                t("{name}: more bytes than the {size} announced", name=self.upload.name,
                  size=self.upload.size)
            )  # fmt: skip

    @property
    def complete(self) -> bool:
        """Whether every byte of the upload is here."""
        return self.offset == self.size

    def sync(self) -> int:
        """Make what arrived durable (before it is acknowledged); the offset now.

        A complete upload's temporary name need not last: its bytes are linked into place
        and that folder fsynced before the answer. A partial one's first chunk makes its
        name durable too, or a power cut could lose bytes already acknowledged.
        """
        os.fsync(self.fd)
        self.synced = True
        if self.first and not self.complete:
            placement.fsync_folder(self.store.partials)
            self.first = False
        return self.offset

    def close(self) -> None:
        """Make what arrived durable and release the lock (closing the file releases it)."""
        try:
            if not self.synced:
                os.fsync(self.fd)
        finally:
            os.close(self.fd)
        if self.hasher is not None and not self.complete:
            self.store.remember_hash(self.upload.id, self.hasher, self.offset)

    def digest(self) -> str | None:
        """The sha256 of the whole upload, if it was followed from the first byte here."""
        return self.hasher.hexdigest() if self.hasher is not None and self.complete else None


# What "already here" asks, built once: the content as a photo (not in the trash, not
# missing), else as an upload stored and not yet indexed.
_HELD_PHOTOS = (
    select(Photo.sha256, func.min(Photo.id))
    .where(
        Photo.sha256.in_(bindparam("digests", expanding=True)),
        Photo.trashed_at.is_(None),
        Photo.status != MISSING,
    )
    .group_by(Photo.sha256)
)
_HELD_UPLOADS = select(Upload.sha256, Upload.path).where(
    Upload.sha256.in_(bindparam("digests", expanding=True)),
    Upload.status == STORED,
    Upload.photo_id.is_(None),
)


def _held(session: Session, wanted: list[str]) -> dict[str, int | None]:
    """Of these sha256s, those the library holds, with their photo's id (None: an upload
    stored and not yet indexed)."""
    found: dict[str, int | None] = {}
    for digest, photo_id in session.execute(_HELD_PHOTOS, {"digests": wanted}):
        found[str(digest)] = photo_id
    rest = [d for d in wanted if d not in found]
    if rest:
        for digest, path in session.execute(_HELD_UPLOADS, {"digests": rest}):
            if path and os.path.exists(path):
                found.setdefault(digest, None)
    return found


# What a creation asks, in one statement built once (a statement built per request costs
# SQLAlchemy its cache key each time): the content as a photo, as an upload stored and not
# yet indexed, and as an upload this uploader is still sending.
_AS_PHOTO, _AS_STORED, _UNDER_WAY = 1, 2, 3


def _creation_query(guest: bool) -> Any:
    """The creation's question, for an account's uploads or (``guest``) a link's guests'."""
    kind = literal_column
    # Typed: PostgreSQL types a union's NULLs branch by branch (an untyped one is text).
    no_photo, no_path = cast(null(), Integer), cast(null(), Text)
    no_upload, no_time = cast(null(), String), cast(null(), Float)
    link = Upload.link_id == bindparam("link") if guest else Upload.link_id.is_(None)
    return union_all(
        select(kind(str(_AS_PHOTO), Integer).label("kind"), func.min(Photo.id).label("photo_id"),
               no_path.label("path"), no_upload.label("upload_id"), no_time.label("created_at"))
        .where(Photo.sha256 == bindparam("digest"), Photo.trashed_at.is_(None),
               Photo.status != MISSING)
        .group_by(Photo.sha256),
        select(kind(str(_AS_STORED), Integer), no_photo, Upload.path, no_upload, no_time)
        .where(Upload.sha256 == bindparam("digest"), Upload.status == STORED,
               Upload.photo_id.is_(None)),
        select(kind(str(_UNDER_WAY), Integer), no_photo, no_path, Upload.id, Upload.created_at)
        .where(Upload.owner == bindparam("owner"), link, Upload.sha256 == bindparam("digest"),
               Upload.size == bindparam("size"), Upload.status == RECEIVING),
    )  # fmt: skip


_CREATION = {guest: _creation_query(guest) for guest in (False, True)}
_INSERT = insert(UPLOADS)
_STORE = (
    update(UPLOADS)
    .where(UPLOADS.c.id == bindparam("upload_id"))
    .values(status=STORED, path=bindparam("path"), updated_at=bindparam("now"))
)


def _asked(connection: Connection, who: Uploader, new: NewUpload) -> Created | None:
    """What a creation finds: its content here already (its photo's id; None for an upload
    stored and not yet indexed), or this uploader's upload of it under way (the earliest);
    None: neither, so a new upload."""
    guest = who.link_id is not None
    rows = connection.execute(_CREATION[guest], {
        "digest": new.sha256, "owner": who.owner, "size": new.size,
        **({"link": who.link_id} if guest else {})}).all()  # fmt: skip
    for row in rows:
        if row.kind == _AS_PHOTO:
            return Created(None, int(row.photo_id))
    if any(r.kind == _AS_STORED and r.path and os.path.exists(r.path) for r in rows):
        return Created(None)
    under_way = sorted((r.created_at, r.upload_id) for r in rows if r.kind == _UNDER_WAY)
    if not under_way:
        return None
    found = connection.execute(select(UPLOADS).where(UPLOADS.c.id == under_way[0][1])).one()
    return Created(Upload(**found._mapping))


def _columns(row: Upload) -> dict[str, Any]:
    """An upload row's columns, for a Core insert."""
    return {column.key: getattr(row, column.key) for column in UPLOADS.columns}


def _link_is(link_id: int | None) -> Any:
    return Upload.link_id.is_(None) if link_id is None else Upload.link_id == link_id


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _linked_copy(partial: Path, folder: Path, name: str) -> Path | None:
    """Where an earlier, interrupted finish already linked this temporary file, if it did."""
    if partial.stat().st_nlink < 2 or not folder.is_dir():
        return None
    for candidate in placement.candidates(folder, name):
        if not candidate.exists():
            return None  # the names are taken in order: past the first free one, none is ours
        if os.path.samefile(candidate, partial):
            return candidate
    return None

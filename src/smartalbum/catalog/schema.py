"""The catalog's tables (SQLAlchemy 2), portable between SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    and_,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

OK, FAILED, MISSING = "ok", "failed", "missing"


class Base(DeclarativeBase):
    """Declarative base of every catalog table."""


def table(model: type[Base]) -> Table:
    """The Core table behind a model: bulk inserts into it skip the ORM's per-row work."""
    return Base.metadata.tables[model.__tablename__]


class Photo(Base):
    """One file of the library: where it is, what it holds, what the model saw in it."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text, unique=True)
    size: Mapped[int] = mapped_column(BigInteger)  # bytes: past 2 GiB too
    mtime: Mapped[float] = mapped_column(Float)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    format: Mapped[str | None] = mapped_column(String(16))
    taken_at: Mapped[str | None] = mapped_column(String(32), index=True)  # ISO 8601, local
    camera_make: Mapped[str | None] = mapped_column(String(64))
    camera_model: Mapped[str | None] = mapped_column(String(64))
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    gps_alt: Mapped[float | None] = mapped_column(Float)  # metres above sea level
    taken_at_offset: Mapped[str | None] = mapped_column(String(8))  # "+09:00" when recorded
    time_source: Mapped[str | None] = mapped_column(String(16))  # original/digitized/.../mtime
    warnings: Mapped[str | None] = mapped_column(Text)  # broken tags ignored, one per line
    place: Mapped[str | None] = mapped_column(Text)  # JSON: the nearest town, en and zh names
    # What the photo's XMP (sidecar or embedded) says: keywords one per line, rating, title.
    xmp_keywords: Mapped[str | None] = mapped_column(Text)
    xmp_rating: Mapped[int | None] = mapped_column(Integer)
    xmp_title: Mapped[str | None] = mapped_column(Text)
    orientation: Mapped[int | None] = mapped_column(Integer)
    model: Mapped[str | None] = mapped_column(String(64))
    engine: Mapped[str | None] = mapped_column(String(32))
    dhash: Mapped[str | None] = mapped_column(String(16))  # 64-bit difference hash, hex
    # Dominant colours from the thumbnail, "red:0.42 white:0.31" (smartalbum.colours); None:
    # not computed yet (library/colour_pass.py), "": no colour covers a tenth of the photo.
    colours: Mapped[str | None] = mapped_column(String(64))
    indexed_at: Mapped[float] = mapped_column(Float)
    # Digest of the album rules this photo's album rows were computed with; the indexer
    # clears it whenever it writes new predictions, so the albums know what to redo.
    albums_digest: Mapped[str | None] = mapped_column(String(16), index=True)
    # The trash: when a person deleted the photo or its file vanished (None: not in the
    # trash), who, and why (TRASH_DELETED / TRASH_VANISHED / TRASH_PURGED); an uploaded file
    # deleted by a person waits at trash_path (``<upload root>/.trash/<id>/<its path under
    # the root>``, which is its ``path`` meanwhile) until a restore or the purge.
    trashed_at: Mapped[float | None] = mapped_column(Float, index=True)
    trashed_by: Mapped[str | None] = mapped_column(String(64))
    trash_reason: Mapped[str | None] = mapped_column(String(16))
    trash_path: Mapped[str | None] = mapped_column(Text)
    # Who put the file in the library through an upload (None: smartalbum did not write the
    # file, so it never deletes it from disk); a guest's upload names its share link.
    uploaded_by: Mapped[str | None] = mapped_column(String(64))
    upload_link_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # "video" for a video, whose seconds and codec follow ("photo" or None: a still).
    kind: Mapped[str | None] = mapped_column(String(8))
    duration: Mapped[float | None] = mapped_column(Float)
    codec: Mapped[str | None] = mapped_column(String(16))
    # Files shown as one item (library/companions.py): the id of the item this file is shown
    # under (a RAW beside its JPEG, a Live Photo's MOV), None for an item; Apple's content
    # identifier of a Live Photo's still or MOV; the item's motion: the file it plays (a Live
    # Photo's MOV, or the photo's own file) and where the video starts in it (a Motion Photo).
    companion_of: Mapped[int | None] = mapped_column(Integer, index=True)
    content_id: Mapped[str | None] = mapped_column(String(64), index=True)
    motion_path: Mapped[str | None] = mapped_column(Text, index=True)
    motion_offset: Mapped[int | None] = mapped_column(BigInteger)
    # When a person archived it: out of the timeline, moments and search unless asked for.
    archived_at: Mapped[float | None] = mapped_column(Float, index=True)

    predictions: Mapped[list[PhotoLabel]] = relationship(
        back_populates="photo", cascade="all, delete-orphan", order_by="PhotoLabel.rank"
    )


def live() -> ColumnElement[bool]:
    """The photos people see: indexed (status ok), not in the trash, not another's companion.

    Every read that lists or counts photos for people (albums, search, moments, shares,
    duplicates, categories, the gallery) filters by this one clause; derived rows (album
    and category members) are kept for a photo in the trash, so a restore is exact, and for
    a companion (a RAW shown as its JPEG), so it is whole again if it stands alone.
    """
    return and_(Photo.status == OK, Photo.trashed_at.is_(None), Photo.companion_of.is_(None))


def is_live(status: str | None, trashed_at: float | None, companion_of: int | None) -> bool:
    """``live()`` for a row already read (where the SQL filter would mislead the planner)."""
    return status == OK and trashed_at is None and companion_of is None


class PhotoBlob(Base):
    """A photo's bulky derived data, apart from its row: scans of photos never read it."""

    __tablename__ = "photo_blobs"

    photo_id: Mapped[int] = mapped_column(
        ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True
    )
    thumbnail: Mapped[bytes | None] = mapped_column(LargeBinary)  # JPEG, ≤ 20 KB
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)  # float32, little-endian


class PhotoLabel(Base):
    """One of a photo's top-5 classes, indexed for "every photo of class X" queries."""

    __tablename__ = "photo_labels"

    photo_id: Mapped[int] = mapped_column(
        ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True
    )
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    class_index: Mapped[int] = mapped_column(Integer)
    wnid: Mapped[str] = mapped_column(String(16))
    probability: Mapped[float] = mapped_column(Float)

    photo: Mapped[Photo] = relationship(back_populates="predictions")

    __table_args__ = (Index("ix_photo_labels_class", "class_index", "probability"),)


SET, CONFIRM, REJECT = "set", "confirm", "reject"


class Correction(Base):
    """A person's word on one class of one photo; it outranks the model, across re-indexing."""

    __tablename__ = "corrections"

    photo_id: Mapped[int] = mapped_column(
        ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True
    )
    class_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    wnid: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(8))  # set / confirm / reject
    created_at: Mapped[float] = mapped_column(Float)
    author: Mapped[str | None] = mapped_column(String(64))  # the account that made it, if any


class AlbumMember(Base):
    """A photo in a smart album with its score: derived from labels and rules, rebuilt at will."""

    __tablename__ = "album_members"

    album_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    photo_id: Mapped[int] = mapped_column(
        ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    score: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_album_members_score", "album_id", "score"),)


class Root(Base):
    """A folder the indexer was pointed at: originals are served only from inside these."""

    __tablename__ = "roots"

    path: Mapped[str] = mapped_column(Text, primary_key=True)
    indexed_at: Mapped[float] = mapped_column(Float)


class State(Base):
    """Small named facts about the catalog as a whole (e.g. the album rules last applied)."""

    __tablename__ = "state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


VIEWER, EDITOR, ADMIN = "viewer", "editor", "admin"
ROLES = (VIEWER, EDITOR, ADMIN)  # each may do what the ones before it may, and more


class User(Base):
    """A person who may use the library through the web: a name, a role, a password hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id, never the password
    created_at: Mapped[float] = mapped_column(Float)


class AuthSession(Base):
    """A signed-in browser: only the digest of its cookie is kept, and its CSRF token."""

    __tablename__ = "auth_sessions"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    seen_at: Mapped[float] = mapped_column(Float)  # for the idle expiry
    address: Mapped[str | None] = mapped_column(String(64))


class ApiToken(Base):
    """A token for scripts and services, sent as ``Authorization: Bearer``; kept as a digest."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    read_only: Mapped[bool] = mapped_column(Integer)  # 1: a viewer's rights whatever the role
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float | None] = mapped_column(Float)
    used_at: Mapped[float | None] = mapped_column(Float)


ALBUM, MOMENT, USER_ALBUM = "album", "moment", "user_album"  # what a share link may show
# Why a photo is in the trash. A purged photo whose file smartalbum did not write stays as a
# tombstone (its row, without labels or blobs) so that a re-scan does not bring it back.
TRASH_DELETED, TRASH_VANISHED, TRASH_PURGED = "deleted", "vanished", "purged"


class ShareLink(Base):
    """A read-only link to one album or moment: kept by the digest of its token only."""

    __tablename__ = "share_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the link's token
    kind: Mapped[str] = mapped_column(String(16))  # album / moment
    target: Mapped[str] = mapped_column(String(64))  # the album's or the moment's id
    password_hash: Mapped[str | None] = mapped_column(String(255))  # argon2id, if it has one
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float | None] = mapped_column(Float)
    # Guests may add photos through the link (off unless the sharer allows it), up to a budget.
    allow_upload: Mapped[bool] = mapped_column(Boolean, default=False)
    upload_budget_mb: Mapped[int | None] = mapped_column(Integer)
    allow_download: Mapped[bool] = mapped_column(Boolean, default=False)  # a ZIP of it all

    __table_args__ = (Index("ix_share_links_target", "kind", "target"),)


class Activity(Base):
    """Who did what: one row per sign-in, import, rules reload and share link made or revoked."""

    __tablename__ = "activity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[float] = mapped_column(Float, index=True)
    user: Mapped[str | None] = mapped_column(String(64))  # None: a server nobody signs in to
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(Text)  # what it was done to (folders, album, link id;
    # for a sign-in, the address it came from)


QUEUED, RUNNING, DONE, CANCELLED, INTERRUPTED = (
    "queued", "running", "done", "cancelled", "interrupted"
)  # fmt: skip


class IndexJob(Base):
    """A distributed index run: what it was asked, how far it got, how it ended.

    Kept in the catalog so a second coordinator, the web app or ``smartalbum jobs`` can
    follow it, and so workers on other machines know whether its tasks are still wanted.
    """

    __tablename__ = "index_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex
    folders: Mapped[str] = mapped_column(Text)  # JSON list, as the coordinator saw them
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued/running/done/...
    total: Mapped[int] = mapped_column(Integer)  # files sent to the workers
    reclassify: Mapped[bool] = mapped_column(Integer)
    cancel_requested: Mapped[bool] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float)
    coordinator: Mapped[str | None] = mapped_column(String(128))  # "pid 12 on host"
    by: Mapped[str | None] = mapped_column(String(64))  # the account that started it
    report: Mapped[str | None] = mapped_column(Text)  # JSON, once it ends
    error: Mapped[str | None] = mapped_column(Text)


class IndexTask(Base):
    """One batch of a distributed run's files, as sent to the workers, and what became of it.

    A delivery counts itself in ``attempts`` before any work, so a batch whose worker died
    is split into single files, and a file that kills its worker every time is given up on.
    """

    __tablename__ = "index_tasks"

    job_id: Mapped[str] = mapped_column(
        ForeignKey("index_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    task: Mapped[str] = mapped_column(String(32), primary_key=True)  # "17", or "17.3" once split
    paths: Mapped[str] = mapped_column(Text)  # JSON list of the catalog's paths
    files: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # queued, done, split, given_up
    attempts: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str | None] = mapped_column(String(128))  # who wrote it
    # The lease of the delivery at work on it: bumped at its claim and every few seconds
    # after; a claimed batch whose count stands still has lost its worker (its machine died),
    # which the coordinator sees by its own clock, and sends the batch again.
    beat: Mapped[int | None] = mapped_column(Integer)


class Category(Base):
    """A category a person taught from example photos, and the light model learned from them.

    The model is kept with the name of the model whose embeddings it was trained on: after
    a re-index with another model it is retrained from its examples.
    """

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # the English name, casefolded
    name: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str | None] = mapped_column(String(64))
    threshold: Mapped[float] = mapped_column(Float)  # a photo scoring this or more belongs
    created_at: Mapped[float] = mapped_column(Float)
    author: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(64))  # the embeddings it was trained on
    weights: Mapped[bytes | None] = mapped_column(LargeBinary)  # the learner's, float32 LE
    trained_at: Mapped[float | None] = mapped_column(Float)


class CategoryExample(Base):
    """One photo a person said is (or is not) in a category: the category's training data."""

    __tablename__ = "category_examples"

    category_id: Mapped[int] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True
    )
    photo_id: Mapped[int] = mapped_column(
        ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    positive: Mapped[bool] = mapped_column(Integer)  # 1: an example, 0: a counter-example
    created_at: Mapped[float] = mapped_column(Float)
    author: Mapped[str | None] = mapped_column(String(64))


class CategoryMember(Base):
    """A photo at or above a category's threshold, with its score: derived, rebuilt at will."""

    __tablename__ = "category_members"

    category_id: Mapped[int] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True
    )
    photo_id: Mapped[int] = mapped_column(
        ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    score: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_category_members_score", "category_id", "score"),)


RECEIVING, STORED, ABANDONED = "receiving", "stored", "abandoned"  # an upload's states


class Upload(Base):
    """A file coming into the library through the web, resumable: its bytes so far are in a
    temporary file; it becomes a photo when the last byte arrives and its sha256 matches.

    The row is the upload's handle (a random id: the client's only way to find it again);
    how far it got is the temporary file's length on disk, which a crash cannot outrun.
    """

    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random hex
    owner: Mapped[str | None] = mapped_column(String(64), index=True)  # account; None: guest
    link_id: Mapped[int | None] = mapped_column(Integer, index=True)  # a guest's share link
    name: Mapped[str] = mapped_column(Text)  # the client's file name, as sent
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    modified: Mapped[float | None] = mapped_column(Float)  # the file's time on the client
    status: Mapped[str] = mapped_column(String(16), index=True)  # receiving/stored/abandoned
    path: Mapped[str | None] = mapped_column(Text)  # where it was stored
    photo_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float, index=True)


BY_DATE, BY_HAND = "date", "manual"  # how a person's album orders its photos


class UserAlbum(Base):
    """An album a person made (apart from the smart ones): titles, owner, cover, order."""

    __tablename__ = "user_albums"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    title_zh: Mapped[str | None] = mapped_column(String(200))
    owner: Mapped[str | None] = mapped_column(String(64))  # None: a server nobody signs in to
    cover_id: Mapped[int | None] = mapped_column(
        ForeignKey("photos.id", ondelete="SET NULL")
    )  # None: its first photo
    sort: Mapped[str] = mapped_column(String(8))  # BY_DATE or BY_HAND
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class UserAlbumPhoto(Base):
    """A photo a person put in their album, at a place in its hand-made order."""

    __tablename__ = "user_album_photos"

    album_id: Mapped[int] = mapped_column(
        ForeignKey("user_albums.id", ondelete="CASCADE"), primary_key=True
    )
    photo_id: Mapped[int] = mapped_column(
        ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[float] = mapped_column(Float)


class Favourite(Base):
    """A heart a person put on a photo: each account has its own ("" for a one-person server)."""

    __tablename__ = "favourites"

    user: Mapped[str] = mapped_column(String(64), primary_key=True)
    photo_id: Mapped[int] = mapped_column(
        ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[float] = mapped_column(Float)

"""The people tables: each face found in a photo, the people faces are grouped into, and
what a person said about a face (confirmed in a person, or taken out of one).

Face data is biometric: with recognition off (settings.faces) none of it is written, and
deleting a person deletes the rows of their faces, embeddings included.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from smartalbum.catalog.schema import Base


class Person(Base):
    """A group of faces taken for one person; named (English and/or Chinese) or not yet."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(64), index=True)
    name_zh: Mapped[str | None] = mapped_column(String(64), index=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class Face(Base):
    """One face in one photo: its box (fractions of the photo), quality and embedding."""

    __tablename__ = "faces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)
    w: Mapped[float] = mapped_column(Float)
    h: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)  # the detector's confidence, 0-1
    size: Mapped[int] = mapped_column(Integer)  # width in pixels at the detector's scale
    blur: Mapped[float] = mapped_column(Float)  # Laplacian variance: low is blurred
    yaw: Mapped[float] = mapped_column(Float)  # -1..1, 0 frontal
    embedding: Mapped[bytes] = mapped_column(LargeBinary)  # 128 float32, little-endian
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)  # a person put it there


class FaceRejection(Base):
    """A face a person took out of a person: it never joins that person again."""

    __tablename__ = "face_rejections"

    face_id: Mapped[int] = mapped_column(
        ForeignKey("faces.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )


class FaceScan(Base):
    """That a photo's faces were looked for, by which version of the face pass, and when.

    The backfill job takes the photos without a row of the current version.
    """

    __tablename__ = "face_scans"

    photo_id: Mapped[int] = mapped_column(
        ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer)
    faces: Mapped[int] = mapped_column(Integer)
    scanned_at: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_face_scans_version", "version"),)

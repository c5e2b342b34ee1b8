"""One error family for the whole product: every error knows its code and HTTP status."""

from __future__ import annotations

from typing import Any


class SmartalbumError(Exception):
    """Base of every error smartalbum reports to a person; never a bare traceback."""

    code = "error"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        """The one JSON error shape: ``{"code", "message"}`` (wrapped as ``{"error": ...}``)."""
        return {"code": self.code, "message": self.message}


class ImageDecodeError(SmartalbumError):
    """A file or upload could not be turned into pixels; the message names it and says why."""

    code = "undecodable_image"
    status = 400

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason

    def __reduce__(self) -> tuple[type[ImageDecodeError], tuple[str, str]]:
        """Pickle by name and reason (the indexer's worker processes send these back)."""
        return (type(self), (self.name, self.reason))


class UnsupportedImageError(ImageDecodeError):
    """The input is readable but is not an image type we decode (text, PDF, ...)."""

    code = "unsupported_image_type"
    status = 415


class ImageTooLargeError(ImageDecodeError):
    """The image has more pixels than the configured limit (a decompression bomb guard)."""

    code = "image_too_large"
    status = 400


class ModelUnavailableError(SmartalbumError):
    """A model cannot be loaded here (no weights, bad checksum, missing extra)."""

    code = "model_unavailable"
    status = 503


class UploadTooLargeError(SmartalbumError):
    """An upload went past the size limit; refused while it was still arriving."""

    code = "upload_too_large"
    status = 413


class RequestError(SmartalbumError):
    """A request is missing a field or has an invalid parameter."""

    code = "invalid_request"
    status = 422


class LibraryBusyError(SmartalbumError):
    """Another process is indexing the same library."""

    code = "library_busy"
    status = 409


class JobFinishedError(SmartalbumError):
    """A job that has already finished cannot be cancelled."""

    code = "job_finished"
    status = 409


class CatalogUnavailableError(SmartalbumError):
    """The catalog cannot be opened: its server is down or refuses us, or its file is unreadable."""

    code = "catalog_unavailable"
    status = 503


class NotFoundError(SmartalbumError):
    """No such photo, album or file, or one the library may not serve."""

    code = "not_found"
    status = 404


class ConfigError(SmartalbumError):
    """A setting, flag or user file is invalid."""

    code = "invalid_config"
    status = 400


def error_body(error: SmartalbumError) -> dict[str, Any]:
    """Render an error as the product's one JSON error body."""
    return {"error": error.to_dict()}

"""One error family for the whole product: every error knows its code and HTTP status.

Each error carries a translatable :class:`~smartalbum.i18n.Message` (made with ``t(...)``),
so the same error reads in English or Chinese; ``code`` is the stable machine key.
"""

from __future__ import annotations

from typing import Any

from smartalbum.i18n import Message, t


class SmartalbumError(Exception):
    """Base of every error smartalbum reports to a person; never a bare traceback."""

    code = "error"
    status = 500

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.text = message
        self.headers: dict[str, str] = {}  # sent with the HTTP answer (Retry-After, ...)

    @property
    def message(self) -> str:
        """The message in English (logs, and the language of the ids)."""
        return str(self.text)

    def render(self, lang: str = "en") -> str:
        """The message in ``lang`` ("en" or "zh")."""
        return self.text.render(lang)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """The one JSON error shape: ``{"code", "message"}`` (wrapped as ``{"error": ...}``)."""
        return {"code": self.code, "message": self.render(lang)}


class ImageDecodeError(SmartalbumError):
    """A file or upload could not be turned into pixels; the message names it and says why."""

    code = "undecodable_image"
    status = 400

    def __init__(self, name: str, reason: Message) -> None:
        super().__init__(t("{name}: {reason}", name=name, reason=reason))
        self.name = name
        self.reason = reason

    def __reduce__(self) -> tuple[type[ImageDecodeError], tuple[str, Message]]:
        """Pickle by name and reason (the indexer's worker processes send these back)."""
        return (type(self), (self.name, self.reason))


class UnsupportedImageError(ImageDecodeError):
    """The input is readable but is not an image type we decode (text, PDF, ...)."""

    code = "unsupported_image_type"
    status = 415


class FileMissingError(ImageDecodeError):
    """A path given as a photo names no file (mistyped, moved or deleted)."""

    code = "file_not_found"
    status = 404


class NotAFileError(ImageDecodeError):
    """A path given as a photo is a folder (or another thing that is not a regular file)."""

    code = "not_a_file"
    status = 400


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


class ChecksumMismatchError(RequestError):
    """An upload's bytes do not have the sha256 its client announced: nothing was stored."""

    code = "checksum_mismatch"


class UploadOffsetError(SmartalbumError):
    """A chunk of an upload sent from another offset than the server has, or while another
    request is writing the same upload: ask for the offset (HEAD) and go on from there."""

    code = "upload_offset_mismatch"
    status = 409


class TusVersionError(SmartalbumError):
    """A tus request of a protocol version the server does not speak (it speaks 1.0.0)."""

    code = "tus_version_unsupported"
    status = 412

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.headers["Tus-Version"] = "1.0.0"


class LibraryBusyError(SmartalbumError):
    """Another process is indexing the same library."""

    code = "library_busy"
    status = 409


class PassOffError(SmartalbumError):
    """Work asked of a pass the server runs with off (say the text pass): its state, not the
    request, is why."""

    code = "pass_off"
    status = 409


class JobFinishedError(SmartalbumError):
    """A job that has already finished cannot be cancelled."""

    code = "job_finished"
    status = 409


class CategoryConflictError(SmartalbumError):
    """A category cannot be taught so: a name taken, too few examples, a photo it cannot use."""

    code = "category_conflict"
    status = 409


class TrashConflictError(SmartalbumError):
    """A trash action that cannot be done now: a photo's file is gone, or cannot be moved."""

    code = "trash_conflict"
    status = 409


class CatalogUnavailableError(SmartalbumError):
    """The catalog cannot be opened: its server is down or refuses us, or its file is unreadable."""

    code = "catalog_unavailable"
    status = 503


class NotFoundError(SmartalbumError):
    """No such photo, album or file, or one the library may not serve."""

    code = "not_found"
    status = 404


class UnauthorizedError(SmartalbumError):
    """No valid sign-in: no session or token, an expired or revoked one, a wrong password."""

    code = "unauthorized"
    status = 401

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.headers["WWW-Authenticate"] = 'Bearer realm="smartalbum"'


class ShareLockedError(UnauthorizedError):
    """A share link with a password, asked for without the pass its password gives."""

    code = "share_password_required"


class ForbiddenError(SmartalbumError):
    """Signed in, but the role may not do this, or a cross-site request was refused."""

    code = "forbidden"
    status = 403


class AdminRequiredError(ForbiddenError):
    """A request from beyond this machine to a server with no accounts: an admin must be made."""

    code = "admin_required"


class UntrustedHostError(ForbiddenError):
    """A request to a server with no accounts that names another host than this machine's: a
    web page whose name was pointed here (DNS rebinding) must not read the library."""

    code = "untrusted_host"


class TooManyAttemptsError(SmartalbumError):
    """Too many failed sign-ins from this address or for this account: wait and retry."""

    code = "too_many_attempts"
    status = 429

    def __init__(self, message: Message, retry_after: int) -> None:
        super().__init__(message)
        self.headers["Retry-After"] = str(retry_after)


class OutsideRootsError(SmartalbumError):
    """A folder the web may not import: not inside a configured import root (on its real path)."""

    code = "outside_import_roots"
    status = 403


class ConfigError(SmartalbumError):
    """A setting, flag or user file is invalid."""

    code = "invalid_config"
    status = 400


class RulesError(ConfigError):
    """An album rules file that cannot be used; the message names the file and the line."""

    code = "invalid_album_rules"


class PlaceDataError(SmartalbumError, ValueError):
    """The offline place data cannot be used: no towns, a malformed table, a missing package."""

    code = "place_data_unavailable"
    status = 503


class InvalidCoordinatesError(RequestError, ValueError):
    """A latitude or longitude outside the globe (or not a number)."""

    code = "invalid_coordinates"


class UnexpectedError(SmartalbumError):
    """A failure no code path expected (a bug, or the machine); the log holds the traceback."""

    code = "internal_error"
    status = 500


def error_body(error: SmartalbumError, lang: str = "en") -> dict[str, Any]:
    """Render an error as the product's one JSON error body, in ``lang``."""
    return {"error": error.to_dict(lang)}

"""The one settings object: every knob with its default and help, read from SMARTALBUM_* variables.

Command-line flags override the environment (see ``Settings.with_overrides``).
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from smartalbum.errors import ConfigError
from smartalbum.hosts import Network, is_loopback, networks
from smartalbum.i18n import LANGUAGES, language_of, t

ENV_PREFIX = "SMARTALBUM_"
MAX_TOP_K = 10  # predictions per image at most: `classify --top-k`, SMARTALBUM_TOP_K, /predict
_AT_LEAST_ONE = (
    "batch_size", "threads", "decode_threads", "max_pixels", "max_upload_mb",
    "moment_gap_hours", "moment_distance_km", "home_radius_km",
    "session_idle_hours", "session_max_days", "broker_visibility_timeout", "max_file_mb",
    "trash_days", "backup_keep",
)  # fmt: skip
ENHANCE_MODES = ("off", "auto", "always")  # smartalbum.enhance.MODES (a layer above)
XMP_NAMINGS = ("append", "replace")  # smartalbum.xmp.NAMINGS (a layer above)
# "lat,lon" as a home: two numbers and a comma (text with letters is a place name).
_LAT_LON = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*,\s*([+-]?\d+(?:\.\d+)?)\s*$")


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


def _default_threads() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Settings:
    """Every setting smartalbum has. Build with ``Settings.from_env()``."""

    model: str = _setting("efficientnet_lite0", "Model from the zoo (`smartalbum models`).")
    weights: Path | None = _setting(
        None, "Weights file for the model, overriding where the zoo looks for it."
    )
    engine: str = _setting(
        "auto", "Inference engine: auto, torch, onnx, onnx-int8, openvino or openvino-int8."
    )
    top_k: int = _setting(5, f"How many predictions to return per image (1 to {MAX_TOP_K}).")
    batch_size: int = _setting(8, "Images per model call.")
    threads: int = field(
        default_factory=_default_threads,
        metadata={"help": "Threads the inference engine may use (default: all cores)."},
    )
    decode_threads: int = field(
        default_factory=_default_threads,
        metadata={"help": "Threads decoding images while the model runs."},
    )
    index_processes: int = _setting(
        0,
        "Worker processes for `index` (each pinned to a core, one model thread): "
        "0 = one per core for the ONNX engines, 1 = none (threads in one process).",
    )
    index_memory_mb: int = _setting(
        1024,
        "Memory (MB) `index` keeps its processes under where it chooses how many: the text "
        "pass adds a reader process (up to one per core) only while they fit; 0 = no cap.",
    )
    max_pixels: int = _setting(
        250_000_000, "Refuse images with more pixels than this (decompression-bomb guard)."
    )
    fast_decode: bool = _setting(
        True, "Decode large JPEGs at reduced scale (DCT scaling) when the model needs less."
    )
    enhance: str = _setting(
        "auto",
        "Hard-light correction (auto-levels of the luminance) of what the model sees: off, "
        "auto (photos whose histogram says dark or washed out) or always.",
    )
    text: bool = _setting(
        True,
        "Read the text in photos in indexing's second phase, to find them by it "
        "(`smartalbum text`).",
    )
    faces: bool = _setting(
        True,
        "Find faces while indexing and group them into people. Off: no face, box or "
        "embedding is stored (turning it on later fills them with `smartalbum people scan`).",
    )
    labels_file: Path | None = _setting(
        None, "TOML file overriding class names: [wnid] en = '...', zh = '...'."
    )
    albums_file: Path | None = _setting(
        None, "TOML file of your album rules, added to (or changing) the built-in ones."
    )
    moment_gap_hours: int = _setting(
        36, "A gap longer than this between two photos starts a new moment."
    )
    moment_distance_km: int = _setting(
        100, "A move farther than this within a day starts a new moment."
    )
    home: str | None = _setting(
        None,
        "Where you live, for trips: a place name ('Beijing', '北京') or 'lat,lon'. "
        "Unset: the place most of your photos were taken.",
    )
    home_radius_km: int = _setting(50, "How far from home a moment must be to count as a trip.")
    lang: str | None = _setting(
        None, "Language of command-line messages: en or zh (unset: from LANG, else en)."
    )
    session_idle_hours: int = _setting(
        336, "A web session unused this long ends (hours; default two weeks)."
    )
    session_max_days: int = _setting(30, "A web session ends this long after sign-in (days).")
    public: bool = _setting(
        False,
        "Others can reach this server (whatever --host says): everyone signs in, and it will "
        "not start without an admin. Needed to bind beyond loopback (the CLI's --public).",
    )
    trusted_proxies: str | None = _setting(
        None,
        "Reverse proxies whose forwarded client address (X-Forwarded-For, Forwarded, "
        "X-Real-IP) and scheme are believed: addresses or networks separated by ',', e.g. "
        "127.0.0.1,10.0.0.0/8. Setting it says others reach this server, so everyone signs "
        "in. Unset: a request carrying proxy headers is from beyond this machine all the same.",
    )
    import_roots: str | None = _setting(
        None,
        "Folders the web may import from, separated by ':' (each checked on its real path). "
        "Unset: any folder while serving this machine only, none when serving beyond it.",
    )
    upload_root: Path | None = _setting(
        None,
        "Where photos uploaded through the web are stored, as <root>/<user>/<year>/<month>/ "
        "(unset: an 'uploads' folder beside a SQLite catalog, else in the user data dir).",
    )
    max_file_mb: int = _setting(
        4096, "Largest file one library upload may be, in MB (its chunks are sent one by one)."
    )
    watch: bool = _setting(
        True,
        "While the server runs, watch the import roots and the upload root for new, changed, "
        "moved and deleted files (inotify), and index them.",
    )
    rescan_minutes: int = _setting(
        60,
        "Minutes between full re-scans of the watched folders, for what watching misses "
        "(network shares, changes while the server was down); 0: never.",
    )
    trash_days: int = _setting(
        30, "Days a photo stays in the trash, restorable, before it is purged."
    )
    xmp_write: bool = _setting(
        False,
        "Write each photo's labels, corrections, album names (English and Chinese) and hearts to "
        "its XMP sidecar as it is indexed and after a correction, heart or album change, merged "
        "with what is there.",
    )
    xmp_threshold: float = _setting(0.5, "Lowest probability of a label written to a sidecar.")
    xmp_naming: str = _setting(
        "append",
        "Sidecar names: append (photo.jpg.xmp: digiKam, darktable) or replace (photo.xmp).",
    )
    backup_dir: Path | None = _setting(
        None, "Where backups are made (unset: a 'backups' folder in the library's home)."
    )
    backup_hours: int = _setting(
        24, "Hours between the server's own backups of the library (0: never)."
    )
    backup_keep: int = _setting(7, "How many of the server's backups are kept (the newest).")
    broker: str | None = _setting(
        None,
        "Celery broker for distributed indexing, such as redis://host:6379/0: `index` and "
        "the web's imports then send the work to `smartalbum worker` processes. Unset: local.",
    )
    broker_visibility_timeout: int = _setting(
        600,
        "Seconds before a task taken by a worker that vanished is delivered again "
        "(longer than any one batch takes).",
    )
    path_map: str | None = _setting(
        None,
        "Where a worker sees the coordinator's folders: FROM=TO pairs separated by ':', "
        "e.g. /srv/photos=/mnt/nas/photos (the catalog keeps the coordinator's paths).",
    )
    cache_dir: Path = field(
        default_factory=lambda: Path(platformdirs.user_cache_dir("smartalbum")),
        metadata={"help": "Where derived model files are cached."},
    )
    # A str, not a Path: Path() would fold the // of a URL.
    library: str = field(
        default_factory=lambda: str(Path(platformdirs.user_data_dir("smartalbum")) / "library.db"),
        metadata={
            "help": "The catalog: a SQLite file, or a PostgreSQL URL such as "
            "postgresql+psycopg://user@host:5432/smartalbum."
        },
    )
    host: str = _setting("127.0.0.1", "Address the web server binds to.")
    port: int = _setting(8000, "Port the web server listens on.")
    max_upload_mb: int = _setting(50, "Largest upload the web server accepts, in MB.")
    batch_wait_ms: int = _setting(
        5, "How long the web server waits for more images to fill a batch."
    )
    allow_download: bool = _setting(
        True, "Fetch missing official weights (checked by sha256) when online."
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults, overridden by SMARTALBUM_<NAME> environment variables."""
        environ = os.environ if environ is None else environ
        if environ.get(ENV_PREFIX + "PROXY_HEADERS"):
            raise ConfigError(
                t(
                    "SMARTALBUM_PROXY_HEADERS is no more: name the proxy instead, e.g. "
                    "SMARTALBUM_TRUSTED_PROXIES=127.0.0.1"
                )
            )
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _parse(f.name, f.type, raw)
        return cls(**values).validated()

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given (non-None) values replaced, e.g. from command-line flags."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return dataclasses.replace(self, **given).validated()

    def validated(self) -> Settings:
        """Check ranges, the home and the language; raise ConfigError naming the setting."""
        self._check_ranges()
        if self.home is not None:
            home_coordinates(self.home)
        self.path_pairs()
        self.proxy_networks()
        for root in self.import_root_paths():
            if not root.is_dir():
                raise ConfigError(t("setting import_roots: {root} is not a folder", root=str(root)))
        if self.enhance not in ENHANCE_MODES:
            raise ConfigError(
                t(
                    "setting enhance must be one of {choices}, got {value!r}",
                    choices=", ".join(ENHANCE_MODES),
                    value=self.enhance,
                )
            )
        self._check_xmp()
        if self.lang is not None and language_of(self.lang) is None:
            raise ConfigError(
                t(
                    "setting lang must be one of {choices}, got {value!r}",
                    choices=", ".join(LANGUAGES),
                    value=self.lang,
                )
            )
        return self

    def _check_xmp(self) -> None:
        if self.xmp_naming not in XMP_NAMINGS:
            raise ConfigError(
                t(
                    "setting xmp_naming must be one of {choices}, got {value!r}",
                    choices=", ".join(XMP_NAMINGS),
                    value=self.xmp_naming,
                )
            )
        if not 0.0 <= self.xmp_threshold <= 1.0:
            raise ConfigError(
                t(
                    "setting xmp_threshold must be from 0 to 1, got {value}",
                    value=self.xmp_threshold,
                )
            )

    def _check_ranges(self) -> None:
        for name in _AT_LEAST_ONE:
            if getattr(self, name) < 1:
                raise ConfigError(
                    t(
                        "setting {name} must be at least 1, got {value}",
                        name=name,
                        value=getattr(self, name),
                    )
                )
        if not 1 <= self.top_k <= MAX_TOP_K:
            raise ConfigError(
                t(
                    "setting top_k must be from 1 to {most}, got {value}",
                    most=MAX_TOP_K,
                    value=self.top_k,
                )
            )
        for name in ("index_processes", "index_memory_mb", "rescan_minutes", "backup_hours"):
            if getattr(self, name) < 0:
                raise ConfigError(
                    t(
                        "setting {name} must be 0 or more, got {value}",
                        name=name,
                        value=getattr(self, name),
                    )
                )

    @property
    def serves_beyond_this_machine(self) -> bool:
        """Whether others can reach the server: said so, behind trusted proxies, or bound beyond
        loopback."""
        return self.public or bool(self.proxy_networks()) or not is_loopback(self.host)

    def proxy_networks(self) -> list[Network]:
        """The trusted proxies' addresses and networks (empty when unset)."""
        try:
            return networks(self.trusted_proxies or "")
        except ValueError as bad:
            raise ConfigError(
                t(
                    "setting trusted_proxies: {part!r} is not an address or a network "
                    "(such as 127.0.0.1 or 10.0.0.0/8)",
                    part=str(bad),
                )
            ) from None

    def upload_root_path(self) -> Path:
        """Where uploads are stored: the setting, else beside a SQLite catalog file, else in
        the user data dir (a PostgreSQL catalog has no folder of its own)."""
        if self.upload_root is not None:
            return self.upload_root.expanduser().absolute()
        library = self.library
        if library.startswith("sqlite:///"):
            library = library[len("sqlite:///") :].split("?", 1)[0].removeprefix("file:")
        if "://" not in library and library not in ("", ":memory:"):
            return Path(library).expanduser().absolute().parent / "uploads"
        return Path(platformdirs.user_data_dir("smartalbum")) / "uploads"

    def path_pairs(self) -> list[tuple[str, str]]:
        """The path map as (coordinator's prefix, this machine's prefix), longest first."""
        pairs = []
        for part in (self.path_map or "").split(os.pathsep):
            source, equals, target = part.partition("=")
            if not part.strip():
                continue
            if not equals or not source.strip() or not target.strip():
                raise ConfigError(t("setting path_map: {part!r} is not FROM=TO", part=part))
            pairs.append((source.strip().rstrip("/") or "/", target.strip().rstrip("/") or "/"))
        return sorted(pairs, key=lambda pair: -len(pair[0]))

    def import_root_paths(self) -> list[Path]:
        """The import roots as given (absolute, ``~`` expanded); empty when unset."""
        if not self.import_roots:
            return []
        parts = self.import_roots.split(os.pathsep)
        return [Path(p.strip()).expanduser().absolute() for p in parts if p.strip()]


def home_coordinates(text: str) -> tuple[float, float] | None:
    """The home setting's "lat,lon" as numbers (checked), or None when it names a place."""
    match = _LAT_LON.match(text)
    if match is None:
        if not any(c.isalpha() for c in text):  # no town's name is all digits and marks
            raise ConfigError(
                t(
                    "home {text!r}: give a town in English or Chinese, or 'lat,lon' "
                    "such as '39.9,116.4'",
                    text=text,
                )
            )
        return None
    lat, lon = float(match[1]), float(match[2])
    if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
        raise ConfigError(
            t("home {text!r}: latitude must be within ±90, longitude ±180", text=text)
        )
    return lat, lon


def _parse(name: str, type_: Any, raw: str) -> Any:
    kind = str(type_)
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if "Path" in kind:
            return Path(raw).expanduser()
        return raw
    except ValueError:
        raise ConfigError(
            t(
                "{variable}={raw!r} is not a valid {kind}",
                variable=ENV_PREFIX + name.upper(),
                raw=raw,
                kind=kind.replace(" | None", ""),
            )
        ) from None

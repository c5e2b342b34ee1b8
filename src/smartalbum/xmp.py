"""XMP: keywords, rating and title read from sidecars and embedded packets, and written back.

What digiKam, darktable and Lightroom read: ``dc:subject`` (flat keywords),
``lr:hierarchicalSubject`` ("smartalbum|labels|cat"), ``xmp:Rating`` and ``dc:title``.
A sidecar is untrusted XML: it is parsed by defusedxml, which refuses a document type
declaration, an entity (an XML bomb's billion laughs) or an external entity before
expanding any of it, so the refusal costs nothing and reads nothing else.

Writing merges: every element and attribute another tool wrote stays, and so does every
keyword it wrote. smartalbum's own keywords are those under the "smartalbum|" hierarchy;
a rewrite replaces them (a label rejected since goes) and leaves the rest alone.
"""

from __future__ import annotations

import os
import tempfile
import xml.etree.ElementTree as ET  # only to build and serialize; parsing is defusedxml's
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from smartalbum.errors import RequestError
from smartalbum.i18n import t

ROOT = "smartalbum"  # the top of our keyword hierarchy
MAX_BYTES = 4 * 1024 * 1024  # a sidecar is a few KB; a larger file is not read at all
NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "lr": "http://ns.adobe.com/lightroom/1.0/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "digiKam": "http://www.digikam.org/ns/1.0/",
    "darktable": "http://darktable.sf.net/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "exif": "http://ns.adobe.com/exif/1.0/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    # Ours: what a write-back must remember in the file itself (the rating a favourite replaced)
    "smartalbum": "urn:smartalbum:xmp:1.0/",
}
_RDF, _DC, _LR, _XMP, _OURS = (f"{{{NS[k]}}}" for k in ("rdf", "dc", "lr", "xmp", ROOT))
FAVOURITE_RATING = 5  # a heart is a keeper: five stars in digiKam, darktable and Lightroom
_BEFORE = f"{_OURS}RatingBefore"  # present: the rating is ours; its text: the one it replaced
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NAMINGS = ("append", "replace")  # photo.jpg.xmp (digiKam, darktable) or photo.xmp (Lightroom)


class XmpError(RequestError):
    """A sidecar or packet that is refused (unsafe XML) or is not XMP."""

    code = "invalid_xmp"


@dataclass(frozen=True)
class XmpFacts:
    """What a photo's XMP says about it."""

    keywords: tuple[str, ...] = ()  # dc:subject, and the leaves of lr:hierarchicalSubject
    rating: int | None = None  # xmp:Rating, -1 (rejected) to 5
    title: str | None = None  # dc:title, its first language

    def merged(self, other: XmpFacts) -> XmpFacts:
        """These facts with ``other``'s added (its rating and title where these have none)."""
        return XmpFacts(
            tuple(dict.fromkeys(self.keywords + other.keywords)),
            self.rating if self.rating is not None else other.rating,
            self.title or other.title,
        )


def xmp_columns(facts: XmpFacts) -> dict[str, object]:
    """The catalog's columns for these facts (keywords one per line)."""
    return {
        "xmp_keywords": "\n".join(facts.keywords) or None,
        "xmp_rating": facts.rating,
        "xmp_title": facts.title,
    }


def sidecar_path(photo: Path, naming: str = "append") -> Path:
    """``photo.jpg.xmp`` ("append", digiKam's and darktable's) or ``photo.xmp`` ("replace")."""
    return photo.with_name(photo.name + ".xmp") if naming == "append" else photo.with_suffix(".xmp")


def parse(data: bytes, name: str) -> ET.Element:
    """The x:xmpmeta (or rdf:RDF) root of an XMP document; XmpError names ``name`` and why."""
    if len(data) > MAX_BYTES:
        raise XmpError(t("{name}: XMP larger than 4 MB; not read", name=name))
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise XmpError(t("{name}: unsafe XML refused ({reason})", name=name,
                         reason=type(exc).__name__)) from None  # fmt: skip
    except ET.ParseError as exc:
        raise XmpError(t("{name}: not XML ({reason})", name=name, reason=str(exc))) from None
    if root.find(f".//{_RDF}RDF") is None and root.tag != f"{_RDF}RDF":
        raise XmpError(t("{name}: not XMP (no rdf:RDF)", name=name))
    return root


def facts_of(root: ET.Element) -> XmpFacts:
    """Keywords, rating and title of a parsed XMP document.

    smartalbum's own keywords (its labels and albums written back) are not read as a
    person's, unless another tool's hierarchy has them too.
    """
    subjects: list[str] = []
    hierarchy: list[str] = []
    rating: int | None = None
    title: str | None = None
    for description in root.iter(f"{_RDF}Description"):
        subjects += _items(description, f"{_DC}subject")
        hierarchy += _items(description, f"{_LR}hierarchicalSubject")
        rating = rating if rating is not None else _theirs(description)
        titles = _items(description, f"{_DC}title")
        title = title or (titles[0] if titles else None)
    ours = {h.split("|")[-1] for h in hierarchy if h.startswith(ROOT + "|")}
    theirs = [h.split("|")[-1] for h in hierarchy if not h.startswith(ROOT + "|")]
    keywords = [k.strip() for k in [*subjects, *theirs] if k.strip()]
    kept = [k for k in keywords if k not in ours or k in theirs]
    return XmpFacts(tuple(dict.fromkeys(kept)), rating, title)


_PACKET_START, _PACKET_END = b"<x:xmpmeta", b"</x:xmpmeta>"


def embedded_packet(data: bytes) -> bytes | None:
    """The XMP packet inside a photo file's bytes (JPEG, PNG, TIFF, WebP…), or None.

    The XMP standard's own way for any file format: scan for the packet's wrapper.
    """
    start = data.find(_PACKET_START)
    end = data.find(_PACKET_END, start) if start >= 0 else -1
    return data[start : end + len(_PACKET_END)] if end >= 0 else None


def read_facts(photo: Path, embedded: bytes | None = None) -> tuple[XmpFacts, list[str]]:
    """The facts of a photo's sidecars (either naming) and embedded packet; and the warnings.

    A sidecar that is refused or unreadable is a warning naming it, never an error.
    """
    facts, warnings = XmpFacts(), []
    sources: list[tuple[str, bytes]] = []
    if embedded:
        sources.append((f"{photo.name} (embedded XMP)", embedded))
    for naming in NAMINGS:
        path = sidecar_path(photo, naming)
        try:
            if path.is_file() and path.stat().st_size <= MAX_BYTES:
                sources.append((path.name, path.read_bytes()))
        except OSError as exc:
            warnings.append(f"{path.name}: {exc.strerror or exc}")
    for name, data in sources:
        try:
            facts = facts.merged(facts_of(parse(data, name)))
        except XmpError as exc:
            warnings.append(exc.message)
    return facts, warnings


def _items(description: ET.Element, tag: str) -> list[str]:
    """The rdf:li texts of a Bag, Seq or Alt property (or its plain text)."""
    prop = description.find(tag)
    if prop is None:
        value = description.get(tag)
        return [value] if value else []
    items = [li.text or "" for li in prop.iter(f"{_RDF}li")]
    return items if items else [prop.text or ""]


def _theirs(description: ET.Element) -> int | None:
    """The rating another tool gave: a favourite's 5 we wrote reads as the one it replaced."""
    marker = description.find(_BEFORE)
    now = _rating(description)
    return now if marker is None or now != FAVOURITE_RATING else _theirs_before(marker)


def _theirs_before(marker: ET.Element) -> int | None:
    before = (marker.text or "").strip()
    return int(before) if before.lstrip("-").isdigit() else None


def _rating(description: ET.Element) -> int | None:
    prop = description.find(f"{_XMP}Rating")
    text = prop.text if prop is not None else description.get(f"{_XMP}Rating")
    try:
        value = round(float(text or ""))
    except ValueError:
        return None
    return value if -1 <= value <= 5 else None


# -- writing ---------------------------------------------------------------------------------

_PACKET_BEGIN = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'  # XMP's own wrapper
_EMPTY = (
    f'<x:xmpmeta xmlns:x="{NS["x"]}"><rdf:RDF xmlns:rdf="{NS["rdf"]}">'
    '<rdf:Description rdf:about=""/></rdf:RDF></x:xmpmeta>'
).encode()


def write_sidecar(
    path: Path,
    keywords: Sequence[tuple[str, str]],
    rating: int | None = None,
    favourite: bool | None = None,
) -> list[str]:
    """Merge smartalbum's keywords (and a rating) into the sidecar at ``path``; its keywords.

    ``keywords``: (hierarchy under "smartalbum|", keyword), e.g. ("labels", "cat"). An
    existing sidecar keeps every other tool's elements and keywords; a refused one
    (unsafe, or not XMP) raises XmpError and is left as it is. ``favourite``: see
    ``_favourite_rating`` (None leaves the rating alone).
    """
    root = parse(path.read_bytes(), path.name) if path.exists() else fromstring(_EMPTY)
    description = _description(root)
    ours = {f"{ROOT}|{branch}|{word}" for branch, word in keywords}
    hierarchy = _items(description, f"{_LR}hierarchicalSubject")
    old_ours = {h.split("|")[-1] for h in hierarchy if h.startswith(ROOT + "|")}
    others = [h for h in hierarchy if not h.startswith(ROOT + "|")]
    other_leaves = {h.split("|")[-1] for h in others}
    subjects = [
        s for s in _items(description, f"{_DC}subject") if s not in old_ours or s in other_leaves
    ]
    words = [word for _, word in keywords]
    _set_bag(description, f"{_DC}subject", list(dict.fromkeys(subjects + words)))
    _set_bag(description, f"{_LR}hierarchicalSubject", others + sorted(ours))
    if rating is not None:
        _set_rating(description, rating)
    if favourite is not None:
        _favourite_rating(description, favourite)
    _save(path, root)
    return list(dict.fromkeys(subjects + words))


def _description(root: ET.Element) -> ET.Element:
    """The first rdf:Description, where our properties go (made if there is none)."""
    found = root.find(f".//{_RDF}Description")
    if found is not None:
        return found
    rdf = root if root.tag == f"{_RDF}RDF" else root.find(f".//{_RDF}RDF")
    assert rdf is not None, "parse() checked there is one"
    return ET.SubElement(rdf, f"{_RDF}Description", {f"{_RDF}about": ""})


def _set_bag(description: ET.Element, tag: str, values: Iterable[str]) -> None:
    """Replace a property (element or attribute form) with a Bag of ``values``."""
    old = description.find(tag)
    if old is not None:
        description.remove(old)
    description.attrib.pop(tag, None)
    bag = ET.SubElement(ET.SubElement(description, tag), f"{_RDF}Bag")
    for value in values:
        ET.SubElement(bag, f"{_RDF}li").text = value


def _set_rating(description: ET.Element, rating: int | None) -> None:
    """Set xmp:Rating in the form it has (attribute or element); None removes it."""
    if f"{_XMP}Rating" in description.attrib:
        if rating is None:
            del description.attrib[f"{_XMP}Rating"]
        else:
            description.set(f"{_XMP}Rating", str(rating))
        return
    prop = description.find(f"{_XMP}Rating")
    if rating is None:
        if prop is not None:
            description.remove(prop)
        return
    if prop is None:
        prop = ET.SubElement(description, f"{_XMP}Rating")
    prop.text = str(rating)


def _favourite_rating(description: ET.Element, favourite: bool) -> None:
    """A favourite is rated 5; taking the heart off gives back the rating it replaced, but
    only while the 5 is still ours (another tool's rating since, or before, is left alone).

    smartalbum:RatingBefore marks a 5 we wrote and keeps what was there ("": none).
    """
    now = _rating(description)
    marker = description.find(_BEFORE)
    if favourite:
        if marker is None and now != FAVOURITE_RATING:
            ET.SubElement(description, _BEFORE).text = "" if now is None else str(now)
            _set_rating(description, FAVOURITE_RATING)
        return
    if marker is None:
        return
    description.remove(marker)
    if now == FAVOURITE_RATING:  # still ours: give back what it replaced
        _set_rating(description, _theirs_before(marker))


def _save(path: Path, root: ET.Element) -> None:
    """Write atomically (a temporary file renamed over it): a crash never leaves half a file."""
    for prefix, uri in NS.items():
        ET.register_namespace(prefix, uri)  # readable prefixes; a reader goes by the URI
    body = ET.tostring(root, encoding="unicode")
    text = f'{_PACKET_BEGIN}\n{body}\n<?xpacket end="w"?>\n'
    handle, temporary = tempfile.mkstemp(prefix=".smartalbum-", suffix=".xmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

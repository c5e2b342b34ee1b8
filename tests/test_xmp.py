"""XMP sidecars: written by smartalbum and read back by exiftool (Debian's libimage-exiftool-perl,
which scripts/test installs); another tool's keywords and properties kept through a write-back;
an XML bomb or an external entity refused without being expanded or read."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from smartalbum.xmp import (
    XmpError,
    XmpFacts,
    embedded_packet,
    parse,
    read_facts,
    sidecar_path,
    write_sidecar,
)

EXIFTOOL = shutil.which("exiftool")

DIGIKAM = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:digiKam="http://www.digikam.org/ns/1.0/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:lr="http://ns.adobe.com/lightroom/1.0/"
    xmp:Rating="4"
    digiKam:ColorLabel="3">
   <digiKam:TagsList><rdf:Seq><rdf:li>Family/Grandma</rdf:li></rdf:Seq></digiKam:TagsList>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Grandma's garden</rdf:li></rdf:Alt></dc:title>
   <dc:subject><rdf:Bag><rdf:li>Grandma</rdf:li><rdf:li>garden party</rdf:li></rdf:Bag></dc:subject>
   <lr:hierarchicalSubject><rdf:Bag><rdf:li>Family|Grandma</rdf:li></rdf:Bag></lr:hierarchicalSubject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>
"""

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:subject><rdf:Bag><rdf:li>&lol9;</rdf:li></rdf:Bag></dc:subject>
</rdf:Description></rdf:RDF></x:xmpmeta>"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE x [ <!ENTITY secret SYSTEM "file://{target}"> ]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:subject><rdf:Bag><rdf:li>&secret;</rdf:li></rdf:Bag></dc:subject>
</rdf:Description></rdf:RDF></x:xmpmeta>"""

OURS = [
    ("labels", "golden retriever"),
    ("labels", "金毛猎犬"),
    ("albums", "My pets"),
    ("albums", "我的宠物"),
]


def exiftool(path: Path) -> dict[str, Any]:
    """What Debian's exiftool reads in an XMP file."""
    if EXIFTOOL is None:
        pytest.fail("exiftool is missing: scripts/test installs libimage-exiftool-perl")
    out = subprocess.run(
        [EXIFTOOL, "-json", "-struct", "-XMP:all", str(path)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    found: dict[str, Any] = json.loads(out.stdout)[0]
    return found


def listed(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def test_sidecar_names() -> None:
    assert sidecar_path(Path("/p/photo.jpg")) == Path("/p/photo.jpg.xmp")
    assert sidecar_path(Path("/p/photo.jpg"), "replace") == Path("/p/photo.xmp")


def test_a_new_sidecar_read_back_by_exiftool(tmp_path: Path) -> None:
    sidecar = tmp_path / "dog.jpg.xmp"
    write_sidecar(sidecar, OURS, rating=5)
    found = exiftool(sidecar)
    assert listed(found["Subject"]) == ["golden retriever", "金毛猎犬", "My pets", "我的宠物"]
    assert sorted(listed(found["HierarchicalSubject"])) == sorted(
        f"smartalbum|{branch}|{word}" for branch, word in OURS
    )
    assert found["Rating"] == 5
    # Read back on import, smartalbum's own keywords are not taken for a person's.
    assert read_facts(tmp_path / "dog.jpg")[0] == XmpFacts((), 5, None)


def test_another_tools_keywords_survive_a_write_back(tmp_path: Path) -> None:
    sidecar = tmp_path / "grandma.jpg.xmp"
    sidecar.write_text(DIGIKAM, "utf-8")
    write_sidecar(sidecar, OURS)
    # A label rejected since: the next write-back takes smartalbum's old keywords away.
    write_sidecar(sidecar, [("labels", "daisy"), ("labels", "雏菊")])
    found = exiftool(sidecar)
    assert listed(found["Subject"]) == ["Grandma", "garden party", "daisy", "雏菊"]
    assert sorted(listed(found["HierarchicalSubject"])) == [
        "Family|Grandma", "smartalbum|labels|daisy", "smartalbum|labels|雏菊",
    ]  # fmt: skip
    assert found["Rating"] == 4 and found["ColorLabel"] == 3  # attributes kept as they were
    assert listed(found["TagsList"]) == ["Family/Grandma"]
    assert found["Title"] == "Grandma's garden"
    facts, warnings = read_facts(tmp_path / "grandma.jpg")
    assert facts.title == "Grandma's garden" and facts.rating == 4 and warnings == []
    assert facts.keywords == ("Grandma", "garden party")


def test_a_keyword_both_tools_wrote_stays(tmp_path: Path) -> None:
    sidecar = tmp_path / "party.jpg.xmp"
    sidecar.write_text(DIGIKAM, "utf-8")
    write_sidecar(sidecar, [("labels", "Grandma")])  # digiKam has Family|Grandma too
    write_sidecar(sidecar, [])
    assert "Grandma" in read_facts(tmp_path / "party.jpg")[0].keywords


def test_an_xml_bomb_and_an_external_entity_are_refused(tmp_path: Path) -> None:
    with pytest.raises(XmpError, match="bomb.jpg.xmp: unsafe XML refused"):
        parse(BOMB.encode(), "bomb.jpg.xmp")
    secret = tmp_path / "secret.txt"
    secret.write_text("the secret", "utf-8")
    external = EXTERNAL.replace("{target}", str(secret)).encode()
    with pytest.raises(XmpError, match="unsafe XML refused"):
        parse(external, "external.jpg.xmp")
    (tmp_path / "x.jpg.xmp").write_bytes(external)
    before = secret.stat().st_atime_ns
    facts, warnings = read_facts(tmp_path / "x.jpg")
    assert facts == XmpFacts() and warnings == ["x.jpg.xmp: unsafe XML refused (DTDForbidden)"]
    assert secret.stat().st_atime_ns == before
    with pytest.raises(XmpError):  # a write-back never touches a sidecar it refused
        write_sidecar(tmp_path / "x.jpg.xmp", OURS)
    assert (tmp_path / "x.jpg.xmp").read_bytes() == external


def test_not_xml_and_not_xmp(tmp_path: Path) -> None:
    with pytest.raises(XmpError, match="a.xmp: not XML"):
        parse(b"<unclosed", "a.xmp")
    with pytest.raises(XmpError, match=r"b.xmp: not XMP \(no rdf:RDF\)"):
        parse(b"<html><body/></html>", "b.xmp")
    (tmp_path / "c.jpg.xmp").write_bytes(b"\xff\xfe garbage")
    assert read_facts(tmp_path / "c.jpg")[1][0].startswith("c.jpg.xmp: not XML")


def test_an_embedded_packet_is_read_with_the_sidecars(tmp_path: Path) -> None:
    packet = DIGIKAM.split("?>", 1)[1].rsplit("<?xpacket", 1)[0].strip().encode()
    data = b"\xff\xd8\xff\xe1 http://ns.adobe.com/xap/1.0/\x00" + packet + b"\xff\xd9"
    assert embedded_packet(data) == packet and embedded_packet(b"\xff\xd8\xff\xd9") is None
    (tmp_path / "p.jpg.xmp").write_text(
        DIGIKAM.replace("garden party", "picnic").replace('xmp:Rating="4"', 'xmp:Rating="2"'),
        "utf-8",
    )
    facts, warnings = read_facts(tmp_path / "p.jpg", embedded_packet(data))
    assert facts.keywords == ("Grandma", "garden party", "picnic") and warnings == []
    assert facts.rating == 4  # the embedded packet's, read first


def test_a_favourite_is_five_stars_and_unfavourite_gives_back_only_ours(tmp_path: Path) -> None:
    sidecar = tmp_path / "new.jpg.xmp"
    write_sidecar(sidecar, OURS, favourite=True)
    assert exiftool(sidecar)["Rating"] == 5
    assert read_facts(tmp_path / "new.jpg")[0].rating is None  # our 5 is no other tool's
    write_sidecar(sidecar, OURS, favourite=False)
    assert "Rating" not in exiftool(sidecar)  # there was none before the heart

    rated = tmp_path / "grandma.jpg.xmp"  # digiKam's 4 stars, as an attribute
    rated.write_text(DIGIKAM, "utf-8")
    write_sidecar(rated, OURS, favourite=True)
    write_sidecar(rated, OURS, favourite=True)  # twice: still the 4 it replaced remembered
    assert exiftool(rated)["Rating"] == 5
    assert read_facts(tmp_path / "grandma.jpg")[0].rating == 4
    write_sidecar(rated, OURS, favourite=False)
    found = exiftool(rated)
    assert found["Rating"] == 4 and found["ColorLabel"] == 3

    write_sidecar(rated, OURS, favourite=True)  # then Lightroom rates it 3 while it is a heart
    rated.write_text(rated.read_text("utf-8").replace('xmp:Rating="5"', 'xmp:Rating="3"'), "utf-8")
    write_sidecar(rated, OURS, favourite=False)
    assert exiftool(rated)["Rating"] == 3  # not ours any more: left as that tool set it

    five = tmp_path / "five.jpg.xmp"  # five stars before the heart: the heart changes nothing
    five.write_text(DIGIKAM.replace('xmp:Rating="4"', 'xmp:Rating="5"'), "utf-8")
    write_sidecar(five, OURS, favourite=True)
    write_sidecar(five, OURS, favourite=False)
    assert exiftool(five)["Rating"] == 5
    write_sidecar(five, OURS)  # favourite not given: the rating is not touched
    assert exiftool(five)["Rating"] == 5

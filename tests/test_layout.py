"""The layout is the architecture: each package imports only from the layers below it."""

from __future__ import annotations

import ast
from pathlib import Path

import smartalbum

PACKAGE = Path(smartalbum.__file__).parent

# Bottom to top; a module may import from its own layer (its own package) and any below.
LAYERS: list[set[str]] = [
    {"__init__", "i18n", "text", "hosts"},  # version; messages; bilingual matching; addresses
    {"errors"},
    {"settings"},
    {"enhance"},  # hard-light correction of the model's crop (imaging applies it)
    {"media"},  # decoders Pillow lacks (RAW through LibRaw; Motion Photos), for imaging
    {"imaging", "colours"},  # colours: a photo's dominant colours, from its thumbnail
    {"metadata", "filedates", "places", "xmp"},
    {"video"},  # videos through ffmpeg: their frames and facts
    {"models"},
    {"engines"},
    {"catalog"},
    {"categories", "ocr", "people"},  # ocr: text read in photos; people: faces grouped and named
    {"albums"},
    {"library"},
    {"ingest"},  # uploads, watched folders, the trash: over the indexer and the catalog
    # backup: the catalog, features and rules copied, restored into an empty home;
    # integrity: the catalog checked against the files (repairs go through ingest's trash)
    {"backup", "integrity"},
    {"search", "moments"},
    {"distributed"},  # Celery workers and their coordinator, over library's parts
    {"web", "bench"},
    {"cli"},
    {"__main__"},
]
LEVEL = {name: level for level, names in enumerate(LAYERS) for name in names}


def top_of(module: str) -> str | None:
    """``smartalbum.library.service`` -> ``library``; None for other packages."""
    parts = module.split(".")
    if parts[0] != "smartalbum":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every smartalbum import in a file, lazy ones inside functions too."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            if node.module == "smartalbum":  # from smartalbum import imaging, __version__
                found += [
                    (node.lineno, f"smartalbum.{alias.name}")
                    for alias in node.names
                    if alias.name in LEVEL
                ]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
    return found


def test_every_package_is_in_a_layer() -> None:
    names = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()}
    names = {n for n in names if not n.startswith((".", "_")) or n in ("__init__", "__main__")}
    code = {n for n in names if (PACKAGE / n).is_dir() or (PACKAGE / f"{n}.py").is_file()}
    assert code - {"py"} <= set(LEVEL), f"not in any layer: {sorted(code - set(LEVEL))}"


def test_imports_point_down_only() -> None:
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = top_of("smartalbum." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts))
        assert importer is not None
        for line, module in imports_of(path):
            imported = top_of(module)
            if imported is None or imported == importer or imported == "__init__":
                continue
            if LEVEL[imported] >= LEVEL[importer]:  # upward, or sideways into a sibling
                upward.append(f"{path.relative_to(PACKAGE)}:{line} imports {module}")
    assert upward == []

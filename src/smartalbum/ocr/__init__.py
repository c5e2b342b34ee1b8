"""Text in photos: read offline (PP-OCR on ONNX Runtime), kept in the catalog, searched.

``reader`` reads a photo's lines, ``store`` writes them in the caller's transaction,
``find`` finds photos by what they say, ``backfill`` reads the photos indexed before.
"""

from smartalbum.ocr.find import photos_saying, says
from smartalbum.ocr.reader import TEXT_VERSION, Line, TextReader, read_photo, shared_reader
from smartalbum.ocr.store import bodies_of, lines_of, write_batch_text, write_text

__all__ = [
    "TEXT_VERSION",
    "Line",
    "TextReader",
    "bodies_of",
    "lines_of",
    "photos_saying",
    "read_photo",
    "says",
    "shared_reader",
    "write_batch_text",
    "write_text",
]

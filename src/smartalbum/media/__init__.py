"""Decoders for what Pillow does not open: camera RAW files (and, beside them, videos)."""

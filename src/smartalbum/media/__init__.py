"""Decoders for what Pillow does not open by itself: camera RAW files and Motion Photos."""

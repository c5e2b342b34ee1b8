"""Decoders for the files that are not plain still images: one module per kind (videos, ...)."""

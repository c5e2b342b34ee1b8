"""smartalbum: a private, offline photo classifier for the CPU, in English and Chinese."""

__version__ = "0.1.0"

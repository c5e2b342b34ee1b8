"""Search over the library: a sentence read into what, where and when, and the photos."""

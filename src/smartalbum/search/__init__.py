"""Search over the library: what a query names (classes, groups, albums, places), and the photos."""

"""The photo library: scanning folders, analysing files, writing the catalog, and the photo service.

``scan`` walks folders and decides what changed, ``analysis`` learns everything from
one file, ``workers`` runs that in processes, ``writer`` is the one place indexed
batches reach the catalog, ``indexer`` drives a run, and ``service`` is the library
as people browse and correct it.
"""

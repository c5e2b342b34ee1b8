"""How photos come into the library by themselves, and how they leave it.

``queue.py``: folders to re-scan soon, coalesced (the one way uploads and watching ask for
indexing); ``uploads.py``: resumable uploads into the upload root; ``watch.py``: the watched
folders and their periodic re-scan; ``trash.py``: delete, restore and purge.
"""

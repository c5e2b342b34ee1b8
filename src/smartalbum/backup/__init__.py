"""Backups of what a library knows that is not the photos: the catalog, the feature space, the
rules; made while the server runs, restored into an empty home, checked by their manifest."""

from smartalbum.backup.make import backup_dir, home_of, kept_backup, listing, make_backup, prune
from smartalbum.backup.manifest import MANIFEST, read_manifest
from smartalbum.backup.restore import restore_backup

__all__ = [
    "MANIFEST",
    "backup_dir",
    "home_of",
    "kept_backup",
    "listing",
    "make_backup",
    "prune",
    "read_manifest",
    "restore_backup",
]

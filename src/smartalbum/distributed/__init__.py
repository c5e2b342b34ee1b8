"""Indexing spread over machines: Celery workers on a Redis broker, one shared catalog.

The coordinator (``smartalbum index`` or the web's import with ``SMARTALBUM_BROKER`` set)
scans and diffs as a local run does, records a job and its batches in the catalog
(``records``) and sends the batches as tasks (``broker``); ``smartalbum worker``
processes analyse them and write each batch to the catalog themselves, in one
transaction with the batch's own record (``worker``). A delivery counts itself before
any work, so a batch whose worker died is split into single files, and a file that
kills its worker every time is given up on; a batch delivered again after it was
written is skipped. ``coordinator`` follows the job from the catalog until every
batch is done.
"""

from smartalbum.distributed.coordinator import DistributedIndexer

__all__ = ["DistributedIndexer"]

"""A distributed batch's lease: a claimed batch whose lease stands still has lost its worker.

The coordinator judges it by its own clock alone (workers' clocks may be off); the whole
runs, with a worker machine killed, are in test_distributed.py.
"""

from __future__ import annotations

from smartalbum.distributed.records import Leases


def test_a_lease_that_stands_still_is_lost_once() -> None:
    leases = Leases(seconds=20)
    assert leases.lost({"3": (1, 1)}, now=100.0) == []
    assert leases.lost({"3": (1, 1)}, now=119.0) == []  # not yet
    assert leases.lost({"3": (1, 1)}, now=121.0) == ["3"]
    assert leases.lost({"3": (1, 1)}, now=150.0) == []  # reported once for that state


def test_a_renewed_lease_is_never_lost() -> None:
    leases = Leases(seconds=20)
    for beat in range(10):  # a worker renewing every 3 s, for 30 s
        assert leases.lost({"3": (1, beat + 1)}, now=100.0 + 3 * beat) == []


def test_a_new_delivery_starts_its_own_lease() -> None:
    leases = Leases(seconds=20)
    leases.lost({"3": (1, 4)}, now=0.0)
    assert leases.lost({"3": (1, 4)}, now=21.0) == ["3"]  # sent again
    assert leases.lost({"3": (2, 5)}, now=22.0) == []  # claimed by another worker
    assert leases.lost({"3": (2, 5)}, now=43.0) == ["3"]  # which died too


def test_tasks_no_longer_claimed_are_forgotten() -> None:
    leases = Leases(seconds=20)
    leases.lost({"3": (1, 1), "4": (1, 1)}, now=0.0)
    assert leases.lost({"4": (1, 1)}, now=30.0) == ["4"]  # 3 was written meanwhile
    assert leases.lost({"3": (1, 1)}, now=31.0) == []  # a fresh sighting, a fresh clock

"""Moments and trips: the library cut into time-and-place stories, named in English and 中文."""

from smartalbum.moments.clustering import Shot, cluster
from smartalbum.moments.timeline import Timeline

__all__ = ["Shot", "Timeline", "cluster"]

"""The web layer: the upload page and the JSON API on top of the classifier."""

from smartalbum.web.app import create_app

__all__ = ["create_app"]

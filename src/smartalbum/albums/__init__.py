"""Smart albums: class groups, editable bilingual rules, and which photos each album holds."""

from smartalbum.albums.groups import Group, Groups, class_groups
from smartalbum.albums.rules import AlbumRule, RuleSet, RulesWatcher, load_rules
from smartalbum.errors import RulesError

__all__ = [
    "AlbumRule",
    "Group",
    "Groups",
    "RuleSet",
    "RulesError",
    "RulesWatcher",
    "class_groups",
    "load_rules",
]

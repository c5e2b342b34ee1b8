"""Smart albums: class groups, editable bilingual rules, search and corrections over the catalog."""

from smartalbum.albums.groups import Group, Groups, class_groups
from smartalbum.albums.library import PhotoLibrary
from smartalbum.albums.rules import AlbumRule, RulesError, RuleSet, RulesWatcher, load_rules

__all__ = [
    "AlbumRule",
    "Group",
    "Groups",
    "PhotoLibrary",
    "RuleSet",
    "RulesError",
    "RulesWatcher",
    "class_groups",
    "load_rules",
]

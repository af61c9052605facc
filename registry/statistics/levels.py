"""The jurisdiction tree as a stack of levels, so that figures can be protected at every level at once.

At a level, a count belongs to the deepest node on its path at or above that level: the node itself when
it lies at the level, or a node above it where the tree skips the level (or for records kept above the
level): that node's *own* figure at this level. A *coordinate* names one such figure: ``(depth of the
level, node id, own)``. Every coordinate at one level has exactly one parent at the level above, so the
coordinates from the top node down to the finest level form a tree with every leaf at the same depth, as
``protect_tree`` needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from registry.db.models import JurisdictionLevel
from registry.db.models.jurisdictions import LEVEL_DEPTH

Coordinate = tuple[int, int, bool]


class Node(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def parent_id(self) -> int | None: ...
    @property
    def level(self) -> JurisdictionLevel: ...


class LevelTree:
    """The nodes under ``top`` down to ``finest``, level by level."""

    def __init__(self, nodes: Iterable[Node], top: int, finest: JurisdictionLevel) -> None:
        self.parent: dict[int, int | None] = {}
        self.depth: dict[int, int] = {}
        for node in nodes:
            self.parent[node.id] = node.parent_id
            self.depth[node.id] = LEVEL_DEPTH[node.level]
        self.top = top
        self.finest = LEVEL_DEPTH[finest]

    def coordinate(self, node: int, depth: int) -> Coordinate:
        """Where counts recorded at ``node`` (at or above the finest level) are figured at level ``depth``."""
        while self.depth[node] > depth:
            parent = self.parent[node]
            assert parent is not None, "a node below the level has a parent"
            node = parent
        return (depth, node, self.depth[node] != depth)

    def leaf(self, node: int) -> Coordinate:
        return self.coordinate(node, self.finest)

    def up(self, coordinate: Coordinate) -> Coordinate:
        depth, node, _ = coordinate
        return self.coordinate(node, depth - 1)

    def parents(self, leaves: Iterable[Coordinate]) -> dict[Coordinate, Coordinate]:
        """Each coordinate above the given leaves mapped to its parent, up to the top's own level."""
        parents: dict[Coordinate, Coordinate] = {}
        top_depth = self.depth[self.top]
        for leaf in leaves:
            coordinate = leaf
            while coordinate[0] > top_depth and coordinate not in parents:
                parents[coordinate] = self.up(coordinate)
                coordinate = parents[coordinate]
        return parents

    def is_within(self, node: int, ancestor: int) -> bool:
        current: int | None = node
        while current is not None:
            if current == ancestor:
                return True
            current = self.parent.get(current)
        return False

"""Small-cell suppression that cannot be undone by arithmetic.

A table is a mapping from keys (one coordinate per dimension) to counts; cells absent from it are known
zeros. A cell below the threshold is a *primary* suppression. Each primary cell then gets a *hypercube*
(Giessing and Repsilber's method, as in tau-Argus): in every dimension the cell is paired with one other
coordinate (its *partner*), or the dimension is left *flat*, and every corner of the cube is withheld. The
alternating vector ``+1/-1`` over the corners sums to zero along every line of the table, so adding it to the
withheld cells changes none of the figures a reader can see or sum: the row and column totals, the grand
total and, along a nested dimension (the jurisdiction tree), every ancestor's figure, as long as the partners
share their parent. No withheld value is therefore determined by them.

Rules a cube must meet:

- every corner is a non-empty cell (so the alternative table stays non-negative);
- in a nested dimension the partner shares the cell's parent group;
- a dimension may be flat only when, at every corner, the sum over all flat dimensions (their whole range)
  is itself below the threshold: that sum is a small cell of the coarser table, withheld there too. A nested
  dimension is never flat: its sums run up the tree to figures that are published.

Protection is decided per parent group of the nested dimension, in a fixed order, preferring partners that
are already withheld and then the smallest counts. The same cells under the same parent therefore always get
the same pattern, whoever asks and whichever part of the tree they ask about.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence

Key = tuple[Hashable, ...]

# Partners tried per dimension, best first; more are tried only when these give no valid cube.
_FIRST_CHOICES = 4


class UnprotectableError(Exception):
    """No cube protects a small cell: the table must not be published at this grouping."""


def protect(
    cells: Mapping[Key, int],
    *,
    threshold: int,
    nesting: Mapping[int, Mapping[Hashable, Hashable]] | None = None,
) -> frozenset[Key]:
    """The keys to withhold from ``cells`` (every count > 0; all keys of the same length).

    ``nesting[d]`` maps each coordinate of dimension ``d`` to its parent group (for the jurisdiction
    dimension, the parent node): partners in that dimension must share it. Dimensions without an entry are
    flat lists of categories.
    """
    if not cells:
        return frozenset()
    if nesting is not None and len(nesting) > 1:
        raise ValueError("at most one nested dimension")
    # A dimension with one value throughout adds nothing a reader could sum over: the table without it is
    # the same table, protected the same way.
    width = len(next(iter(cells)))
    varying = [d for d in range(width) if len({key[d] for key in cells}) > 1 or d in (nesting or {})]
    if len(varying) < width:
        narrow = {tuple(key[d] for d in varying): count for key, count in cells.items()}
        moved = {varying.index(d): parents for d, parents in (nesting or {}).items()}
        kept = protect(narrow, threshold=threshold, nesting=moved or None)
        return frozenset(key for key in cells if tuple(key[d] for d in varying) in kept)
    table = _Table(cells, threshold, next(iter(nesting.items())) if nesting else None)
    withheld: set[Key] = set()
    primaries = sorted(
        (key for key, count in cells.items() if count < threshold),
        key=lambda key: (cells[key], [_order(v) for v in key]),
    )
    for primary in primaries:
        withheld.add(primary)
        cube = _best_cube(table, primary, withheld, _FIRST_CHOICES) or _best_cube(
            table, primary, withheld, None
        )
        if cube is None:
            raise UnprotectableError(
                "a small count cannot be withheld safely at this grouping; group by fewer dimensions or "
                "at a higher jurisdiction level"
            )
        withheld.update(cube)
    return frozenset(withheld)


def _order(value: object) -> str:
    """A total order over coordinates of any type, so that ties break the same way every time."""
    return repr(value)


class _Table:
    """The cells, the tree of the nested dimension, and the sums a reader can ask for, computed on demand:
    over any set of flat dimensions, at any node of the tree."""

    def __init__(
        self,
        cells: Mapping[Key, int],
        threshold: int,
        nesting: tuple[int, Mapping[Hashable, Hashable]] | None,
    ) -> None:
        for key, count in cells.items():
            if count <= 0:
                raise ValueError(f"cells hold non-empty counts only, got {count} at {key!r}")
        self.cells = cells
        self.threshold = threshold
        self.width = len(next(iter(cells)))
        self.nested_dim, self.parents = nesting if nesting is not None else (-1, {})
        self.values: list[list[Hashable]] = [
            sorted({key[d] for key in cells}, key=_order) for d in range(self.width)
        ]
        self._sums: dict[frozenset[int], dict[Key, int]] = {}

    def ancestors(self, node: Hashable) -> list[Hashable]:
        """The node's parent, grandparent, ... up to a root."""
        chain: list[Hashable] = []
        while node in self.parents:
            node = self.parents[node]
            chain.append(node)
        return chain

    def exposed(self, node: Hashable, partner: Hashable) -> tuple[list[Hashable], list[Hashable]]:
        """The ancestors of each of two nodes below their nearest common ancestor: figures whose sums the
        pair does not cancel in."""
        mine, theirs = self.ancestors(node), self.ancestors(partner)
        common = set(mine) & set(theirs)
        return [a for a in mine if a not in common], [a for a in theirs if a not in common]

    def sum_over(self, flat: frozenset[int], key: Key) -> int:
        """The sum over the whole range of the ``flat`` dimensions, the others fixed at ``key``'s; along the
        nested dimension ``key`` may name an inner node of the tree (the sum over its subtree)."""
        sums = self._sums.get(flat)
        if sums is None:
            sums = defaultdict(int)
            for cell, count in self.cells.items():
                projected = _project(cell, flat)
                sums[projected] += count
                if self.nested_dim >= 0 and self.nested_dim not in flat:
                    for ancestor in self.ancestors(cell[self.nested_dim]):
                        sums[_replace(projected, self.nested_dim, ancestor)] += count
            self._sums[flat] = sums
        return sums.get(_project(key, flat), 0)

    def hidden(self, flat: frozenset[int], key: Key, nodes: Iterable[Hashable]) -> bool:
        """Are the sums over ``flat`` at ``key`` (if any dimension is flat) and at each of ``nodes`` (inner
        nodes replacing the nested coordinate) small cells, withheld wherever they are shown?"""
        if flat and self.sum_over(flat, key) >= self.threshold:
            return False
        return all(
            self.sum_over(flat, _replace(key, self.nested_dim, node)) < self.threshold for node in nodes
        )


def _project(key: Key, flat: frozenset[int]) -> Key:
    return tuple(None if d in flat else value for d, value in enumerate(key))


def _best_cube(table: _Table, x: Key, withheld: set[Key], choices: int | None) -> list[Key] | None:
    """The corners of the cheapest valid cube around ``x``: fewest cells newly withheld, then the smallest
    total withheld; None when there is none."""
    options: list[list[Hashable | None]] = []  # per dimension: None means flat, else a partner
    for d in range(table.width):
        partners = [v for v in table.values[d] if v != x[d] and _replace(x, d, v) in table.cells]
        partners.sort(key=lambda v: _preference(table, withheld, x, d, v))
        if choices is not None:
            partners = partners[:choices]
        options.append(([] if d == table.nested_dim else [None]) + list(partners))
    best: tuple[tuple[int, int], list[Key]] | None = None
    for choice in itertools.product(*options):
        corners = _corners(x, choice)
        if any(corner not in table.cells for corner in corners):
            continue
        if not _cancels(table, x, choice, corners):
            continue
        new = [corner for corner in corners if corner not in withheld]
        cost = (len(new), sum(table.cells[corner] for corner in new))
        if best is None or cost < best[0]:
            best = (cost, corners)
            if cost == (0, 0):
                break
    return best[1] if best is not None else None


def _cancels(table: _Table, x: Key, choice: Sequence[Hashable | None], corners: list[Key]) -> bool:
    """Does the alternating vector over ``corners`` sum to zero on every figure a reader may know, that is
    on every sum that is not itself a small cell?"""
    flat = frozenset(d for d, v in enumerate(choice) if v is None)
    if table.nested_dim < 0:
        return not flat or all(table.hidden(flat, corner, ()) for corner in corners)
    partner = choice[table.nested_dim]
    mine, theirs = table.exposed(x[table.nested_dim], partner)
    for corner in corners:
        exposed = mine if corner[table.nested_dim] == x[table.nested_dim] else theirs
        if (flat or exposed) and not table.hidden(flat, corner, exposed):
            return False
    return True


def _preference(
    table: _Table, withheld: set[Key], x: Key, d: int, value: Hashable
) -> tuple[int, int, int, str]:
    """Partners already withheld first, then the nearest in the tree (siblings before cousins), then the
    smallest count."""
    cell = _replace(x, d, value)
    distance = len(table.exposed(x[d], value)[0]) if d == table.nested_dim else 0
    return (0 if cell in withheld else 1, distance, table.cells[cell], _order(value))


def _replace(key: Key, d: int, value: Hashable) -> Key:
    return (*key[:d], value, *key[d + 1 :])


def _corners(x: Key, choice: Sequence[Hashable | None]) -> list[Key]:
    axes: list[Iterable[Hashable]] = [
        (x[d],) if partner is None else (x[d], partner) for d, partner in enumerate(choice)
    ]
    return [tuple(corner) for corner in itertools.product(*axes)]

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
  is itself below the threshold: that sum is a small cell of the coarser table, withheld there too.

Protection is decided per parent group of the nested dimension, in a fixed order, preferring partners that
are already withheld and then the smallest counts. The same cells under the same parent therefore always get
the same pattern, whoever asks and whichever part of the tree they ask about.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

Key = tuple[Hashable, ...]


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
    raise NotImplementedError

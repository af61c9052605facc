"""Relay building blocks: opaque keyset cursors, page info and a generic connection."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Generic, Protocol, TypeVar

import strawberry
import strawberry.relay

from registry.db.queries.paging import Keyset
from registry.errors import InvalidInput

if TYPE_CHECKING:
    from registry.schema.context import Context

NodeT = TypeVar("NodeT")
RowT = TypeVar("RowT")


class _Keyed(Protocol):
    @property
    def db_id(self) -> int: ...


KeyedT = TypeVar("KeyedT", bound=_Keyed)

_CURSOR_PREFIX = "k:"


def encode_cursor(key: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{key}".encode()).decode()


def decode_cursor(cursor: str, *, field: str = "after") -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not raw.startswith(_CURSOR_PREFIX):
            raise ValueError(raw)
        return int(raw.removeprefix(_CURSOR_PREFIX))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("The cursor is not valid.", field=field) from None


def page_size(requested: int | None, *, maximum: int, default: int = 50, field: str = "first") -> int:
    """The number of rows a page asks for; more than ``maximum`` or fewer than zero is refused."""
    size = default if requested is None else requested
    if size < 0 or size > maximum:
        raise InvalidInput(f"`{field}` must be between 0 and {maximum}.", field=field)
    return size


# The paging arguments of every list, documented once.
First = Annotated[
    int | None,
    strawberry.argument(description="How many items to take from the start, or after `after` (default 50)."),
]
After = Annotated[str | None, strawberry.argument(description="Take the items after this cursor.")]
Last = Annotated[
    int | None, strawberry.argument(description="How many items to take from the end, or before `before`.")
]
Before = Annotated[str | None, strawberry.argument(description="Take the items before this cursor.")]
FILTER = "Conditions every item must meet; leave out what does not matter."


# Row ids are PostgreSQL bigints.
MAX_ROW_ID = 2**63 - 1


def row_id(node_id: str) -> int | None:
    """The row id a global ID's node part names, or None: only ASCII digits (``str.isdigit`` also takes
    "²" and "٣") and only what fits a bigint (a larger number would fail in the database, not here)."""
    if not (node_id.isascii() and node_id.isdigit()):
        return None
    value = int(node_id)
    return value if value <= MAX_ROW_ID else None


def database_id(global_id: strawberry.relay.GlobalID, type_name: str, *, field: str) -> int:
    """The row id inside a global ID of ``type_name``. Another type's ID or a malformed one is a bad input;
    whether the row exists (and is the caller's to see) is for the query to find out."""
    found = row_id(global_id.node_id) if global_id.type_name == type_name else None
    if found is None:
        raise InvalidInput(f"Expected the ID of a {type_name}.", field=field)
    return found


@strawberry.type(description="Where a page sits in its list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow the last one of this page.")
    has_previous_page: bool = strawberry.field(description="Items precede the first one of this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item of this page.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item; pass it as `after`.")


@strawberry.type(description="One item of a page and its cursor.")
class Edge(Generic[NodeT]):
    node: NodeT = strawberry.field(description="The item.")
    cursor: str = strawberry.field(description="Opaque position of the item in the list.")


@strawberry.type(description="A page of a list, in a stable order, paged with `first` and `after`.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Paging information.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Number of items in the whole list (all pages), counted on request.")
    async def total_count(self) -> int:
        return await self.count()


async def keyset_connection(
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    maximum: int,
    fetch: Callable[[Keyset], Awaitable[list[NodeT]]],
    count: Callable[[], Awaitable[int]],
    key: Callable[[NodeT], int],
) -> Connection[NodeT]:
    """A page of the list: the ``first`` items after ``after``, or the ``last`` items before ``before``
    (Relay's cursor connections). One item more than asked is fetched to tell whether more lie beyond."""
    if first is not None and last is not None:
        raise InvalidInput("Give `first` or `last`, not both.", field="last")
    backwards = last is not None
    size = page_size(last if backwards else first, maximum=maximum, field="last" if backwards else "first")
    after_key = decode_cursor(after) if after is not None else None
    before_key = decode_cursor(before, field="before") if before is not None else None
    rows = await fetch(Keyset(limit=size + 1, after=after_key, before=before_key, backwards=backwards))
    more = len(rows) > size
    page = rows[-size:] if backwards and more else rows[:size]
    if size == 0:
        page = []
    edges = [Edge(node=row, cursor=encode_cursor(key(row))) for row in page]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=before_key is not None if backwards else more,
            has_previous_page=more if backwards else after_key is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count=count,
    )


async def rows_connection(
    *,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
    maximum: int,
    page: Callable[..., Awaitable[list[RowT]]],
    count: Callable[[], Awaitable[Any]],
    wrap: Callable[[RowT], KeyedT],
) -> Connection[KeyedT]:
    """A page of database rows, each turned into its GraphQL type, keyed by its id. ``page`` takes a
    ``keyset`` keyword (the shape of every ``*_page`` query)."""

    async def fetch(keyset: Keyset) -> list[KeyedT]:
        return [wrap(row) for row in await page(keyset=keyset)]

    async def total() -> int:
        return int(await count())

    return await keyset_connection(
        first=first,
        after=after,
        last=last,
        before=before,
        maximum=maximum,
        fetch=fetch,
        count=total,
        key=lambda node: node.db_id,
    )


async def subtree_connection(
    info: strawberry.Info[Context, None],
    *,
    root: str,
    variant: Hashable,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    pages: Callable[[Sequence[str], Keyset], Awaitable[Mapping[str, list[RowT]]]],
    counts: Callable[[Sequence[str]], Awaitable[Mapping[str, int]]],
    wrap: Callable[[RowT], KeyedT],
) -> Connection[KeyedT]:
    """A page of a list inside the subtree at path ``root``, for a field repeated under many parents (each
    jurisdiction's cases): every parent asking the same ``variant`` (filter) and page shares one statement,
    and so do their counts."""
    loaders = info.context.loaders
    empty: list[RowT] = []

    async def page(*, keyset: Keyset) -> list[RowT]:
        loader = loaders.variant(("page", variant, keyset), lambda roots: pages(roots, keyset), empty)
        return await loader.load(root)

    async def count() -> int:
        return await loaders.variant(("count", variant), counts, 0).load(root)

    return await rows_connection(
        first=first,
        after=after,
        last=last,
        before=before,
        maximum=info.context.settings.max_page_size,
        page=page,
        count=count,
        wrap=wrap,
    )

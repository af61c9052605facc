"""Relay building blocks: opaque keyset cursors, page info and a generic connection."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any, Generic, Protocol, TypeVar

import strawberry

from registry.errors import InvalidInput

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


def page_size(first: int | None, *, maximum: int, default: int = 50) -> int:
    """The number of rows a page asks for; more than ``maximum`` or fewer than zero is refused."""
    size = default if first is None else first
    if size < 0 or size > maximum:
        raise InvalidInput(f"`first` must be between 0 and {maximum}.", field="first")
    return size


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


def connection_from_rows(
    rows: list[NodeT],
    *,
    size: int,
    key: Callable[[NodeT], int],
    after_given: bool,
    count: Callable[[], Awaitable[int]],
) -> Connection[NodeT]:
    """Build a page from ``size + 1`` fetched rows (the extra row only tells that more follow)."""
    page = rows[:size]
    edges = [Edge(node=row, cursor=encode_cursor(key(row))) for row in page]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > size,
            has_previous_page=after_given,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count=count,
    )


async def keyset_connection(
    *,
    first: int | None,
    after: str | None,
    maximum: int,
    fetch: Callable[[int, int | None], Awaitable[list[NodeT]]],
    count: Callable[[], Awaitable[int]],
    key: Callable[[NodeT], int],
) -> Connection[NodeT]:
    """A page of ``first`` items after the ``after`` cursor: ``fetch(limit, after_key)`` returns up to
    ``limit`` items in the list's order; one more than asked tells whether more follow."""
    size = page_size(first, maximum=maximum)
    after_key = decode_cursor(after) if after is not None else None
    rows = await fetch(size + 1, after_key)
    return connection_from_rows(rows, size=size, key=key, after_given=after_key is not None, count=count)


async def rows_connection(
    *,
    first: int | None,
    after: str | None,
    maximum: int,
    page: Callable[..., Awaitable[list[RowT]]],
    count: Callable[[], Awaitable[Any]],
    wrap: Callable[[RowT], KeyedT],
) -> Connection[KeyedT]:
    """A page of database rows, each turned into its GraphQL type, keyed by its id. ``page`` takes
    ``limit`` and ``after_id`` keywords (the shape of every ``*_page`` query)."""

    async def fetch(limit: int, after_id: int | None) -> list[KeyedT]:
        return [wrap(row) for row in await page(limit=limit, after_id=after_id)]

    async def total() -> int:
        return int(await count())

    return await keyset_connection(
        first=first, after=after, maximum=maximum, fetch=fetch, count=total, key=lambda node: node.db_id
    )

"""What every resolver receives: settings, the request's database session and its DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from registry.auth.principal import Principal
from registry.config import Settings
from registry.db.models import Jurisdiction
from registry.db.queries import jurisdictions as jurisdiction_queries


@dataclass
class DataLoaders:
    """Per-request loaders, so a page of results costs a constant number of statements."""

    session: AsyncSession
    jurisdiction_by_id: DataLoader[int, Jurisdiction | None] = field(init=False)
    jurisdictions_by_parent_id: DataLoader[int, list[Jurisdiction]] = field(init=False)

    def __post_init__(self) -> None:
        async def load_by_id(ids: list[int]) -> list[Jurisdiction | None]:
            found = await jurisdiction_queries.jurisdictions_by_ids(self.session, ids)
            return [found.get(i) for i in ids]

        async def load_by_parent(ids: list[int]) -> list[list[Jurisdiction]]:
            found = await jurisdiction_queries.jurisdictions_by_parent_ids(self.session, ids)
            return [found[i] for i in ids]

        self.jurisdiction_by_id = DataLoader(load_fn=load_by_id)
        self.jurisdictions_by_parent_id = DataLoader(load_fn=load_by_parent)


class Context(BaseContext):
    def __init__(self, settings: Settings, session: AsyncSession, principal: Principal | None) -> None:
        super().__init__()
        self.settings = settings
        self.session = session
        # None for an anonymous request: it may read the public jurisdiction tree and nothing else.
        self.principal = principal
        self.loaders = DataLoaders(session)

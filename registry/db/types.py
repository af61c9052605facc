"""Column types PostgreSQL has and SQLAlchemy does not ship."""

from __future__ import annotations

from typing import Any

from sqlalchemy.types import UserDefinedType


class Ltree(UserDefinedType[str]):
    """PostgreSQL ``ltree`` (a materialised path such as ``1.2.17``), read and written as text."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "ltree"

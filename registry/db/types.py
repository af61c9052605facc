"""Column types PostgreSQL has and SQLAlchemy does not ship."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql.base import ischema_names
from sqlalchemy.types import UserDefinedType


class Ltree(UserDefinedType[str]):
    """PostgreSQL ``ltree`` (a materialised path such as ``1.2.17``), read and written as text."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "ltree"


class LqueryArray(UserDefinedType[str]):
    """``lquery[]``, path patterns: ``path ? '{1.2.*,1.5.*}'`` matches either subtree (GiST-indexed)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "lquery[]"


# Let reflection (Alembic's autogenerate) recognise the type.
ischema_names["ltree"] = Ltree

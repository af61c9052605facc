"""Rollups of case counts, kept current by triggers in the same transaction as the case change.

A case write appends its change (-1 for the old key, +1 for the new) to ``case_count_changes``; the
compactor folds those rows into ``case_counts``, one row per key of each *cuboid* (a set of dimensions). A
read adds the pending changes to the cuboid's rows, so it is as fresh as the cases themselves, and no two
writers ever wait on the same counter row.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, Index, Integer, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.models.base import Base, IdMixin, pg_enum
from registry.db.models.cases import CaseKind, CaseStage, RiskLevel
from registry.db.models.children import Sex
from registry.db.types import Ltree


class CaseCountChange(IdMixin, Base):
    """A pending change to the counts: one case entering (+1) or leaving (-1) a key."""

    __tablename__ = "case_count_changes"

    # The case's district, or the case's own jurisdiction when it sits above district level.
    path: Mapped[str] = mapped_column(Ltree, nullable=False)
    kind: Mapped[CaseKind] = mapped_column(pg_enum(CaseKind, "case_kind"), nullable=False)
    stage: Mapped[CaseStage] = mapped_column(pg_enum(CaseStage, "case_stage"), nullable=False)
    risk_level: Mapped[RiskLevel] = mapped_column(pg_enum(RiskLevel, "risk_level"), nullable=False)
    sex: Mapped[Sex] = mapped_column(pg_enum(Sex, "sex"), nullable=False)
    # 0: 0-4, 1: 5-9, 2: 10-14, 3: 15-17, 4: 18 and over, the child's age when the case opened.
    age_band: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    opened_month: Mapped[dt.date] = mapped_column(Date, nullable=False)
    delta: Mapped[int] = mapped_column(SmallInteger, nullable=False)


class CaseCount(Base):
    """The number of cases per key of one cuboid; dimensions outside the cuboid are null."""

    __tablename__ = "case_counts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    cuboid: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    path: Mapped[str] = mapped_column(Ltree, nullable=False)
    kind: Mapped[CaseKind | None] = mapped_column(pg_enum(CaseKind, "case_kind"))
    stage: Mapped[CaseStage | None] = mapped_column(pg_enum(CaseStage, "case_stage"))
    risk_level: Mapped[RiskLevel | None] = mapped_column(pg_enum(RiskLevel, "risk_level"))
    sex: Mapped[Sex | None] = mapped_column(pg_enum(Sex, "sex"))
    age_band: Mapped[int | None] = mapped_column(SmallInteger)
    is_open: Mapped[bool | None] = mapped_column(Boolean)
    opened_month: Mapped[dt.date | None] = mapped_column(Date)
    n: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (
        Index(
            "uq_case_counts_key",
            "cuboid",
            "path",
            "kind",
            "stage",
            "risk_level",
            "sex",
            "age_band",
            "is_open",
            "opened_month",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
    )

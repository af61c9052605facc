"""Children, their identity (personal data, kept apart), guardians, households and consents."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.models.base import (
    Base,
    IdMixin,
    JurisdictionBoundMixin,
    PathIdsMixin,
    VersionedMixin,
    created_at_column,
    jurisdiction_bound,
    pg_enum,
)


class Sex(enum.StrEnum):
    FEMALE = "FEMALE"
    MALE = "MALE"
    # Recognised in Pakistani law (Transgender Persons (Protection of Rights) Act, 2018).
    TRANSGENDER = "TRANSGENDER"
    UNKNOWN = "UNKNOWN"


class AgeBand(enum.StrEnum):
    """Age bands of statistics and lists; a child registered under 18 may since have come of age."""

    AGE_0_4 = "AGE_0_4"
    AGE_5_9 = "AGE_5_9"
    AGE_10_14 = "AGE_10_14"
    AGE_15_17 = "AGE_15_17"
    AGE_18_AND_OVER = "AGE_18_AND_OVER"


# Whole years of age each band spans; the last is open-ended.
AGE_BAND_YEARS: dict[AgeBand, tuple[int, int | None]] = {
    AgeBand.AGE_0_4: (0, 4),
    AgeBand.AGE_5_9: (5, 9),
    AgeBand.AGE_10_14: (10, 14),
    AgeBand.AGE_15_17: (15, 17),
    AgeBand.AGE_18_AND_OVER: (18, None),
}


def _age(birth_year: int, on: dt.date) -> int:
    """Whole years from 1 July of ``birth_year`` (birth years are coarse on purpose, so the exact birthday
    is not needed)."""
    return on.year - birth_year - (1 if on < dt.date(on.year, 7, 1) else 0)


def age_band(birth_year: int, on: dt.date) -> AgeBand:
    """The band of a child born in ``birth_year`` on the date ``on``."""
    age = _age(birth_year, on)
    for band, (_, upper) in AGE_BAND_YEARS.items():
        if upper is None or age <= upper:
            return band
    raise AssertionError("the last band is open-ended")


def birth_years_in_band(band: AgeBand, on: dt.date) -> tuple[int | None, int | None]:
    """``(earliest, latest)`` birth year of the children in ``band`` on ``on``; None where a band is open
    (the last has no earliest; the first no latest, as a child born this year before 1 July is "-1")."""
    lower, upper = AGE_BAND_YEARS[band]
    year_zero = _age(0, on)  # the age of someone born in year 0: birth year = year_zero - age
    return (year_zero - upper if upper is not None else None), (year_zero - lower if lower > 0 else None)


class Household(IdMixin, JurisdictionBoundMixin, VersionedMixin, Base):
    """A family unit, counted for coverage and for family-level support (parents' training, micro-finance)."""

    __tablename__ = "households"

    reference: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    size: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    registered_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        *jurisdiction_bound("households"),
        CheckConstraint("size BETWEEN 1 AND 100", name="size_range"),
    )


class Child(IdMixin, JurisdictionBoundMixin, PathIdsMixin, VersionedMixin, Base):
    """The non-identifying part of a child's record: what statistics and lists may show without PII."""

    __tablename__ = "children"

    household_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("households.id"))
    sex: Mapped[Sex] = mapped_column(pg_enum(Sex, "sex"), nullable=False)
    # Coarse and non-identifying: enough for age bands; the exact date of birth is identity.
    birth_year: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    age_at_registration: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    registered_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    # True once the child has a case in conflict with the law: juvenile justice law then forbids disclosing
    # the identity to anyone but that case's workers and their supervising officers. Kept on the child so
    # the rule holds even where those cases are out of the reader's sight.
    identity_restricted: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        *jurisdiction_bound("children"),
        # The registry is for children: under 18 on the day they were registered.
        CheckConstraint("age_at_registration BETWEEN 0 AND 17", name="under_18_at_registration"),
        CheckConstraint(
            "extract(year FROM registered_on)::int - birth_year BETWEEN age_at_registration"
            " AND age_at_registration + 1",
            name="birth_year_matches_age",
        ),
        Index("ix_children_household_id", "household_id"),
        Index("ix_children_jurisdiction_id", "jurisdiction_id", "id"),
        # Pages (and name searches) of a province's or district's children newest first, from the index
        # alone as far as row-level security and the list's filters go (migration 0011).
        Index(
            "ix_children_path_id_2_id",
            "path_id_2",
            "id",
            postgresql_include=["path_id_3", "path", "identity_restricted", "sex", "birth_year"],
        ),
        Index(
            "ix_children_path_id_4_id",
            "path_id_4",
            "id",
            postgresql_include=["path_id_2", "path", "identity_restricted", "sex", "birth_year"],
        ),
    )


class ChildIdentity(VersionedMixin, Base):
    """Personal data of one child. Readable only with ``pii:read`` in scope."""

    __tablename__ = "child_identities"

    child_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("children.id", ondelete="CASCADE"), primary_key=True
    )
    full_name: Mapped[str] = mapped_column(String(300), nullable=False)
    given_name: Mapped[str | None] = mapped_column(String(150))
    family_name: Mapped[str | None] = mapped_column(String(150))
    father_name: Mapped[str | None] = mapped_column(String(300))
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    date_of_birth_estimated: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    # National registration number (B-Form / CRC), AES-GCM encrypted; the blind index (a keyed hash of the
    # normalised number) answers exact-match search and duplicate checks without decrypting anything.
    identity_number_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    identity_number_key_id: Mapped[str | None] = mapped_column(String(32))
    identity_number_blind_index: Mapped[bytes | None] = mapped_column(LargeBinary, unique=True)
    place_of_birth: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        CheckConstraint(
            "(identity_number_ciphertext IS NULL) = (identity_number_blind_index IS NULL)"
            " AND (identity_number_ciphertext IS NULL) = (identity_number_key_id IS NULL)",
            name="identity_number_complete",
        ),
        CheckConstraint("date_of_birth IS NULL OR date_of_birth >= DATE '1990-01-01'", name="dob_plausible"),
        # Name search by trigram similarity, which copes with romanised Urdu spelling variants.
        Index(
            "ix_child_identities_full_name_trgm",
            "full_name",
            postgresql_using="gin",
            postgresql_ops={"full_name": "gin_trgm_ops"},
        ),
    )


class GuardianRelationship(enum.StrEnum):
    MOTHER = "MOTHER"
    FATHER = "FATHER"
    GRANDPARENT = "GRANDPARENT"
    SIBLING = "SIBLING"
    UNCLE_AUNT = "UNCLE_AUNT"
    OTHER_RELATIVE = "OTHER_RELATIVE"
    LEGAL_GUARDIAN = "LEGAL_GUARDIAN"
    CAREGIVER = "CAREGIVER"


class Guardian(IdMixin, Base):
    """A parent or other guardian of a child (personal data)."""

    __tablename__ = "guardians"

    child_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("children.id", ondelete="CASCADE"), nullable=False
    )
    full_name: Mapped[str] = mapped_column(String(300), nullable=False)
    relationship: Mapped[GuardianRelationship] = mapped_column(
        pg_enum(GuardianRelationship, "guardian_relationship"), nullable=False
    )
    phone: Mapped[str | None] = mapped_column(String(32))
    is_primary: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        Index("ix_guardians_child_id", "child_id"),
        # At most one primary guardian per child.
        Index("uq_guardians_primary_per_child", "child_id", unique=True, postgresql_where="is_primary"),
    )


class ConsentPurpose(enum.StrEnum):
    REGISTRATION = "REGISTRATION"
    DATA_SHARING = "DATA_SHARING"
    REFERRAL = "REFERRAL"


class ConsentGiver(enum.StrEnum):
    CHILD_ASSENT = "CHILD_ASSENT"
    GUARDIAN = "GUARDIAN"


class Consent(IdMixin, Base):
    """Who consented to what, and when; withdrawal is recorded, never deleted."""

    __tablename__ = "consents"

    child_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("children.id", ondelete="CASCADE"), nullable=False
    )
    case_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("cases.id"))
    purpose: Mapped[ConsentPurpose] = mapped_column(
        pg_enum(ConsentPurpose, "consent_purpose"), nullable=False
    )
    given_by: Mapped[ConsentGiver] = mapped_column(pg_enum(ConsentGiver, "consent_giver"), nullable=False)
    guardian_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("guardians.id"))
    given_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    recorded_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        CheckConstraint("given_by <> 'GUARDIAN' OR guardian_id IS NOT NULL", name="guardian_named"),
        CheckConstraint("withdrawn_at IS NULL OR withdrawn_at >= given_at", name="withdrawn_after_given"),
        Index("ix_consents_child_id", "child_id", "purpose"),
        Index("ix_consents_case_id", "case_id"),
        # Guardians may be removed (corrections): their foreign-key check must not scan every consent.
        Index("ix_consents_guardian_id", "guardian_id", postgresql_where=text("guardian_id IS NOT NULL")),
    )


class ChildIdentityHistory(IdMixin, Base):
    """A correction of a child's identity keeps what it replaced: identity is never silently overwritten.
    ``previous`` holds the fields as they were (the identity number only as its ciphertext and key id)."""

    __tablename__ = "child_identity_history"

    child_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("children.id"), nullable=False)
    # The identity's version the snapshot was of.
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    previous: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    changed_by_user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    changed_by_client_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("api_clients.id"))
    changed_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )

    __table_args__ = (Index("ix_child_identity_history_child_id", "child_id", "version"),)

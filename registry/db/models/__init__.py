"""All models, imported so that ``Base.metadata`` knows every table."""

from registry.db.models.audit import AuditEvent
from registry.db.models.auth import AuthorizationCode, OAuthApp, RefreshToken, RevokedToken
from registry.db.models.base import Base
from registry.db.models.cases import (
    Case,
    CaseEvent,
    CaseEventType,
    CaseKind,
    CaseStage,
    Referral,
    ReferralStatus,
    RiskLevel,
    Transfer,
    TransferStatus,
)
from registry.db.models.children import (
    AgeBand,
    Child,
    ChildIdentity,
    ChildIdentityHistory,
    Consent,
    ConsentGiver,
    ConsentPurpose,
    Guardian,
    GuardianRelationship,
    Household,
    Sex,
)
from registry.db.models.idempotency import IdempotencyKey
from registry.db.models.incidents import (
    Incident,
    IncidentDirection,
    OffenceCategory,
    Placement,
    PlacementEndReason,
    PlacementKind,
)
from registry.db.models.institutions import Institution, InstitutionType
from registry.db.models.jurisdictions import Jurisdiction, JurisdictionLevel
from registry.db.models.organisations import Organisation, OrganisationKind
from registry.db.models.programmes import (
    Intervention,
    InterventionRecipient,
    InterventionType,
    Outcome,
    OutcomeType,
    Programme,
)
from registry.db.models.statistics import CaseCount, CaseCountChange
from registry.db.models.users import ApiClient, Role, RoleAssignment, User

__all__ = [
    "AgeBand",
    "ApiClient",
    "AuditEvent",
    "AuthorizationCode",
    "Base",
    "Case",
    "CaseCount",
    "CaseCountChange",
    "CaseEvent",
    "CaseEventType",
    "CaseKind",
    "CaseStage",
    "Child",
    "ChildIdentity",
    "ChildIdentityHistory",
    "Consent",
    "ConsentGiver",
    "ConsentPurpose",
    "Guardian",
    "GuardianRelationship",
    "Household",
    "IdempotencyKey",
    "Incident",
    "IncidentDirection",
    "Institution",
    "InstitutionType",
    "Intervention",
    "InterventionRecipient",
    "InterventionType",
    "Jurisdiction",
    "JurisdictionLevel",
    "OAuthApp",
    "OffenceCategory",
    "Organisation",
    "OrganisationKind",
    "Outcome",
    "OutcomeType",
    "Placement",
    "PlacementEndReason",
    "PlacementKind",
    "Programme",
    "Referral",
    "ReferralStatus",
    "RefreshToken",
    "RevokedToken",
    "RiskLevel",
    "Role",
    "RoleAssignment",
    "Sex",
    "Transfer",
    "TransferStatus",
    "User",
]

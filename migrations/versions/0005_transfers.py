"""Referrals and transfers: answers that cross the row-level security wall.

A transfer is answered by the receiving side, which cannot see the case while it still belongs to the
sending jurisdiction: row-level security hides it, so it could neither move it nor add to its history. Nor
should it see it before it accepts. ``registry_respond_to_transfer`` does that one step as the owner, after
checking in the database that the transfer's destination lies inside the caller's ``registry.scope``: on
accept it moves the case (and the child, when no other open case keeps it in the sending jurisdiction),
unassigns it, and records the event, all in the caller's transaction.

A referral to an institution outside the case's jurisdiction is answered by that institution's side. Its
staff may see the referral row (the service asked for, the reason, the status) but not the case or the
child; ``registry_respond_to_referral`` records their answer and its case event, after checking that the
case or the receiving institution lies inside the caller's scope.

Both functions return what stopped them (``NOT_FOUND``, ``CONFLICT``, ``INVALID_TRANSITION``) instead of
raising, so the API answers with its typed errors; they re-check under a row lock what the service checked
before, so a concurrent answer cannot slip between.

A cancelled transfer gets its own event type. PostgreSQL cannot remove an enum label, so the downgrade
leaves it (the initial migration's downgrade drops the whole type).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from registry.db.roles import app_role

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECORDS = "nullif(current_setting('registry.scope', true), '')::lquery[]"

# Staff over the receiving institution see referrals to it (not the case: that stays behind its own wall).
RECEIVING_REFERRALS = f"to_institution_id IN (SELECT i.id FROM institutions i WHERE i.path ? {RECORDS})"

RESPOND_TO_TRANSFER = f"""
CREATE FUNCTION registry_respond_to_transfer(
    p_transfer_id bigint, p_version integer, p_accept boolean, p_note text, p_at timestamptz,
    p_user_id bigint, p_client_id bigint
) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    v_scope lquery[] := {RECORDS};
    v_transfer transfers%ROWTYPE;
    v_case cases%ROWTYPE;
    v_institution_path ltree;
    v_child_moves boolean;
BEGIN
    SELECT * INTO v_transfer FROM transfers t WHERE t.id = p_transfer_id FOR UPDATE;
    -- Only the receiving side answers: the destination must lie inside the caller's scope.
    IF NOT FOUND OR v_scope IS NULL OR NOT (v_transfer.to_path ? v_scope) THEN
        RETURN 'NOT_FOUND';
    END IF;
    IF v_transfer.version <> p_version THEN
        RETURN 'CONFLICT';
    END IF;
    IF v_transfer.status <> 'REQUESTED' THEN
        RETURN 'INVALID_TRANSITION';
    END IF;
    SELECT * INTO v_case FROM cases c WHERE c.id = v_transfer.case_id FOR UPDATE;
    IF v_case.jurisdiction_id <> v_transfer.from_jurisdiction_id THEN
        RETURN 'CONFLICT';
    END IF;

    IF NOT p_accept THEN
        UPDATE transfers
        SET status = 'REJECTED', responded_at = p_at, responded_by_id = p_user_id, response_note = p_note,
            version = version + 1
        WHERE id = p_transfer_id;
        INSERT INTO case_events (case_id, type, occurred_at, actor_user_id, actor_client_id, data, note)
        VALUES (v_case.id, 'TRANSFER_REJECTED', p_at, p_user_id, p_client_id,
                jsonb_build_object('transferId', p_transfer_id), p_note);
        RETURN 'REJECTED';
    END IF;

    -- The child's record lives where the child does: it moves with the case when the child lived in the
    -- sending jurisdiction and no other open case keeps it there (one whose jurisdiction sees the child
    -- where it lives now and would not see it in the receiving one).
    SELECT ch.path <@ v_transfer.from_path AND NOT EXISTS (
               SELECT 1 FROM cases o
               WHERE o.child_id = ch.id AND o.id <> v_case.id AND o.stage <> 'CLOSED'
                 AND ch.path <@ o.path AND NOT (v_transfer.to_path <@ o.path))
    INTO v_child_moves
    FROM children ch WHERE ch.id = v_case.child_id FOR UPDATE;
    IF v_child_moves THEN
        UPDATE children
        SET jurisdiction_id = v_transfer.to_jurisdiction_id, path = v_transfer.to_path, version = version + 1
        WHERE id = v_case.child_id;
    END IF;

    -- The new side assigns its own worker; an institution left behind no longer serves the case.
    SELECT i.path INTO v_institution_path FROM institutions i WHERE i.id = v_case.institution_id;
    UPDATE cases
    SET jurisdiction_id = v_transfer.to_jurisdiction_id, path = v_transfer.to_path, assigned_to_id = NULL,
        institution_id = CASE WHEN v_institution_path <@ v_transfer.to_path THEN institution_id END,
        version = version + 1, updated_at = p_at
    WHERE id = v_case.id;
    UPDATE transfers
    SET status = 'ACCEPTED', responded_at = p_at, responded_by_id = p_user_id, response_note = p_note,
        version = version + 1
    WHERE id = p_transfer_id;
    INSERT INTO case_events (case_id, type, occurred_at, actor_user_id, actor_client_id, data, note)
    VALUES (v_case.id, 'TRANSFER_ACCEPTED', p_at, p_user_id, p_client_id,
            jsonb_build_object(
                'transferId', p_transfer_id,
                'fromJurisdictionId', v_transfer.from_jurisdiction_id,
                'toJurisdictionId', v_transfer.to_jurisdiction_id,
                'previousAssigneeId', v_case.assigned_to_id,
                'previousInstitutionId', v_case.institution_id,
                'childMoved', v_child_moves),
            p_note);
    RETURN 'ACCEPTED';
END $$
"""

RESPOND_TO_REFERRAL = f"""
CREATE FUNCTION registry_respond_to_referral(
    p_referral_id bigint, p_version integer, p_status referral_status, p_outcome text, p_at timestamptz,
    p_user_id bigint, p_client_id bigint
) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    v_scope lquery[] := {RECORDS};
    v_referral referrals%ROWTYPE;
    v_case_path ltree;
    v_institution_path ltree;
BEGIN
    SELECT * INTO v_referral FROM referrals r WHERE r.id = p_referral_id FOR UPDATE;
    IF NOT FOUND OR v_scope IS NULL THEN
        RETURN 'NOT_FOUND';
    END IF;
    SELECT c.path INTO v_case_path FROM cases c WHERE c.id = v_referral.case_id;
    SELECT i.path INTO v_institution_path FROM institutions i WHERE i.id = v_referral.to_institution_id;
    -- The case's side, or the receiving institution's.
    IF NOT (v_case_path ? v_scope OR coalesce(v_institution_path ? v_scope, false)) THEN
        RETURN 'NOT_FOUND';
    END IF;
    IF v_referral.version <> p_version THEN
        RETURN 'CONFLICT';
    END IF;
    IF NOT ((v_referral.status = 'PENDING' AND p_status IN ('ACCEPTED', 'DECLINED'))
            OR (v_referral.status = 'ACCEPTED' AND p_status = 'COMPLETED')) THEN
        RETURN 'INVALID_TRANSITION';
    END IF;
    UPDATE referrals
    SET status = p_status, outcome = coalesce(p_outcome, outcome), responded_at = p_at,
        responded_by_id = p_user_id, version = version + 1
    WHERE id = p_referral_id;
    INSERT INTO case_events (case_id, type, occurred_at, actor_user_id, actor_client_id, data, note)
    VALUES (v_referral.case_id, 'REFERRAL_RESPONDED', p_at, p_user_id, p_client_id,
            jsonb_build_object('referralId', p_referral_id, 'from', v_referral.status, 'to', p_status),
            p_outcome);
    RETURN 'OK';
END $$
"""

FUNCTIONS = {
    "registry_respond_to_transfer(bigint, integer, boolean, text, timestamptz, bigint, bigint)": (
        RESPOND_TO_TRANSFER
    ),
    "registry_respond_to_referral(bigint, integer, referral_status, text, timestamptz, bigint, bigint)": (
        RESPOND_TO_REFERRAL
    ),
}


def upgrade() -> None:
    role = app_role()
    op.execute(
        "ALTER TYPE case_event_type ADD VALUE IF NOT EXISTS 'TRANSFER_CANCELLED' AFTER 'TRANSFER_REJECTED'"
    )
    op.execute(f"CREATE POLICY app_receiving ON referrals FOR SELECT TO {role} USING ({RECEIVING_REFERRALS})")
    for signature, definition in FUNCTIONS.items():
        op.execute(definition)
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {role}")


def downgrade() -> None:
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION {signature}")
    op.execute("DROP POLICY app_receiving ON referrals")

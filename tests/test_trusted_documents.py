"""Trusted documents: requests by ``documentId``, and deployments that run only the documents of their
manifest for API clients (or for everyone)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import URL

from registry.auth.principal import PrincipalKind
from registry.auth.tokens import TokenService
from registry.config import Settings
from registry.db.server import app_url_for
from registry.limits.trusted_documents import TrustedDocuments, document_id
from tests.conftest import StatementLog, bearer, make_settings, user_token
from tests.factories import make_api_client, make_organisation, make_small_tree, make_user

PROVINCES = "query Provinces($first: Int) { jurisdictions(first: $first, filter: {level: PROVINCIAL}) { edges { node { code } } } }"
PROVINCES_ID = "sha256:" + hashlib.sha256(PROVINCES.encode()).hexdigest()
OTHER = "{ jurisdictions { totalCount } }"


def manifest(tmp_path: Path, documents: dict[str, str]) -> Path:
    path = tmp_path / "trusted-documents.json"
    path.write_text(json.dumps(documents), encoding="utf-8")
    return path


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """A manifest holding ``PROVINCES``, required of whom the test says (``clients`` unless told)."""
    required = getattr(request, "param", "clients")
    return make_settings(
        trusted_documents=manifest(tmp_path, {PROVINCES_ID: PROVINCES}),
        require_trusted_documents_for=required,
    )


@pytest.fixture
async def tokens_of(owner: asyncpg.Connection[Any], tokens: TokenService) -> dict[str, str]:
    """A person's and an API client's access tokens, over the small tree."""
    tree = await make_small_tree(owner)
    org = await make_organisation(owner, tree.lahore, kind="DISTRICT_OFFICE")
    officer = await make_user(owner, "DISTRICT_OFFICER", tree.lahore, organisation_id=org)
    client_db_id, client_id = await make_api_client(
        owner, tree.lahore, organisation_id=org, created_by=officer, scopes=["cases:read"]
    )
    client_token, _ = tokens.issue(
        PrincipalKind.CLIENT, client_db_id, client_id=client_id, scope="cases:read"
    )
    return {"person": user_token(tokens, officer), "client": client_token}


async def post(http: httpx.AsyncClient, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    response = await http.post("/graphql", json=body, headers=bearer(token) if token else {})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def provinces(answer: dict[str, Any]) -> list[str]:
    assert "errors" not in answer, answer["errors"]
    return [edge["node"]["code"] for edge in answer["data"]["jurisdictions"]["edges"]]


def untrusted(answer: dict[str, Any]) -> dict[str, Any]:
    assert answer["data"] is None
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "UNTRUSTED_DOCUMENT"
    extensions: dict[str, Any] = error["extensions"]
    return extensions


async def test_a_client_runs_a_trusted_document_by_id_with_its_variables(
    tokens_of: dict[str, str], client: httpx.AsyncClient
) -> None:
    answer = await post(client, {"documentId": PROVINCES_ID, "variables": {"first": 1}}, tokens_of["client"])

    assert provinces(answer) == ["PK-PB"]


async def test_a_client_may_send_the_exact_text_of_a_trusted_document(
    tokens_of: dict[str, str], client: httpx.AsyncClient
) -> None:
    answer = await post(client, {"query": PROVINCES}, tokens_of["client"])

    assert provinces(answer) == ["PK-PB", "PK-SD"]


async def test_a_client_sending_any_other_document_is_refused_before_it_runs(
    tokens_of: dict[str, str], client: httpx.AsyncClient, statements: StatementLog
) -> None:
    statements.clear()
    # The trusted document reformatted is another document.
    for query in (OTHER, PROVINCES.replace(" {", "{")):
        extensions = untrusted(await post(client, {"query": query}, tokens_of["client"]))
        assert extensions == {"code": "UNTRUSTED_DOCUMENT", "field": "query"}

    assert not any("jurisdictions" in statement for statement in statements.statements)


async def test_an_unknown_document_id_is_refused(
    tokens_of: dict[str, str], client: httpx.AsyncClient
) -> None:
    unknown = "sha256:" + hashlib.sha256(OTHER.encode()).hexdigest()

    answer = await post(client, {"documentId": unknown}, tokens_of["person"])

    assert untrusted(answer) == {"code": "UNTRUSTED_DOCUMENT", "field": "documentId"}
    assert unknown in answer["errors"][0]["message"]


async def test_people_and_anonymous_callers_may_send_any_document_when_only_clients_must(
    tokens_of: dict[str, str], client: httpx.AsyncClient
) -> None:
    by_person = await post(client, {"query": OTHER}, tokens_of["person"])
    by_anyone = await post(client, {"query": OTHER})

    assert by_person["data"] == by_anyone["data"] == {"jurisdictions": {"totalCount": 7}}
    assert provinces(await post(client, {"documentId": PROVINCES_ID})) == ["PK-PB", "PK-SD"]


@pytest.mark.parametrize("settings", ["all"], indirect=True)
async def test_when_all_must_use_trusted_documents_anonymous_callers_must_too(
    tokens_of: dict[str, str], client: httpx.AsyncClient
) -> None:
    assert untrusted(await post(client, {"query": OTHER}))["field"] == "query"
    assert untrusted(await post(client, {"query": OTHER}, tokens_of["person"]))["field"] == "query"
    assert provinces(await post(client, {"documentId": PROVINCES_ID})) == ["PK-PB", "PK-SD"]


@pytest.mark.parametrize("settings", ["none"], indirect=True)
async def test_when_none_must_clients_may_send_any_document(
    tokens_of: dict[str, str], client: httpx.AsyncClient
) -> None:
    answer = await post(client, {"query": OTHER}, tokens_of["client"])

    assert answer["data"] == {"jurisdictions": {"totalCount": 7}}


async def test_a_directory_of_documents_is_a_manifest(
    owner: asyncpg.Connection[Any], database: URL, tmp_path: Path
) -> None:
    from registry.app import create_app

    await make_small_tree(owner)
    (tmp_path / "documents" / "jurisdictions").mkdir(parents=True)
    (tmp_path / "documents" / "jurisdictions" / "provinces.graphql").write_text(PROVINCES, encoding="utf-8")
    settings = make_settings(trusted_documents=tmp_path / "documents", require_trusted_documents_for="all")
    application = create_app(settings, app_url_for(database, settings))

    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
            by_id = await post(http, {"documentId": PROVINCES_ID})
            other = await post(http, {"query": OTHER})

    assert provinces(by_id) == ["PK-PB", "PK-SD"]
    assert untrusted(other)["field"] == "query"


def test_a_manifest_whose_id_does_not_fit_its_document_stops_the_start(database: URL, tmp_path: Path) -> None:
    from registry.app import create_app

    settings = make_settings(trusted_documents=manifest(tmp_path, {PROVINCES_ID: OTHER}))

    with pytest.raises(ValueError, match="is not the SHA-256 of its document"):
        create_app(settings, app_url_for(database, settings))


def test_requiring_trusted_documents_without_a_manifest_stops_the_start(database: URL) -> None:
    from registry.app import create_app

    settings = make_settings(require_trusted_documents_for="clients")

    with pytest.raises(ValueError, match="no manifest"):
        create_app(settings, app_url_for(database, settings))


def test_the_operations_of_trusted_documents_are_named_in_the_metrics() -> None:
    documents = TrustedDocuments(
        {document_id(text): text for text in ("query Provinces { viewer { name } }", "{ viewer { name } }")}
    )
    assert documents.operation_names() == {"Provinces"}

"""Trusted documents: a deployment may run, for some callers, only the GraphQL documents it was given.

``REGISTRY_TRUSTED_DOCUMENTS`` names the manifest, either

- a JSON file holding one object that maps each document's id to its text::

      {"sha256:1f0e…9c": "query OpenCases($first: Int) { cases(first: $first) { … } }", …}

  where the id is ``sha256:`` followed by the lower-case hex SHA-256 of the document's UTF-8 text (a bare
  hex digest is read the same way, as GraphQL Code Generator's ``persisted-documents.json`` writes it); or
- a directory: every ``*.graphql`` file under it is one document, its id the SHA-256 of its contents.

An id that does not match its text stops the API from starting: the manifest is damaged.

A request names a trusted document by id, ``{"documentId": "sha256:…", "variables": {…}}``, or sends its
full text, ``{"query": "…"}``, whose SHA-256 must then be in the manifest (byte for byte: reformatting a
document changes its id). ``REGISTRY_REQUIRE_TRUSTED_DOCUMENTS_FOR`` says whose requests must be trusted:
``none`` (the default: documents by id are still served), ``clients`` (requests made with an API client's
token) or ``all`` (every request, anonymous ones too). Anything else is refused with an
``UNTRUSTED_DOCUMENT`` error before it is parsed.
"""

from __future__ import annotations

import enum
import hashlib
import json
from pathlib import Path

from graphql import OperationDefinitionNode, parse

from registry.auth.principal import Principal, PrincipalKind
from registry.errors import UntrustedDocument

PREFIX = "sha256:"


class TrustedDocumentsRequirement(enum.StrEnum):
    """Whose requests must run trusted documents."""

    NONE = "none"
    CLIENTS = "clients"
    ALL = "all"


def document_id(text: str) -> str:
    return PREFIX + hashlib.sha256(text.encode()).hexdigest()


class TrustedDocuments:
    """The documents of a manifest, by id."""

    def __init__(self, documents: dict[str, str]) -> None:
        self.documents = documents

    @classmethod
    def load(cls, path: Path) -> TrustedDocuments:
        if path.is_dir():
            texts = [file.read_text(encoding="utf-8") for file in sorted(path.rglob("*.graphql"))]
            return cls({document_id(text): text for text in texts})
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or not all(
            isinstance(key, str) and isinstance(text, str) for key, text in manifest.items()
        ):
            raise ValueError(f"{path}: a trusted-documents manifest maps ids to document texts")
        documents: dict[str, str] = {}
        for key, text in manifest.items():
            if document_id(text) != _normalised(key):
                raise ValueError(f"{path}: the id {key!r} is not the SHA-256 of its document")
            documents[document_id(text)] = text
        return cls(documents)

    def operation_names(self) -> set[str]:
        """The names of the operations the documents define (metrics count these under their own name)."""
        return {
            definition.name.value
            for text in self.documents.values()
            for definition in parse(text).definitions
            if isinstance(definition, OperationDefinitionNode) and definition.name is not None
        }

    def text_of(self, requested_id: str) -> str:
        """The text of the document with this id; :class:`UntrustedDocument` if there is none."""
        text = self.documents.get(_normalised(requested_id))
        if text is None:
            raise UntrustedDocument(f"No trusted document has the id {requested_id!r}.", field="documentId")
        return text

    def check(self, text: str) -> None:
        """:class:`UntrustedDocument` unless ``text`` is one of the trusted documents."""
        if document_id(text) not in self.documents:
            raise UntrustedDocument(
                "This deployment runs only trusted documents, and this query is not one: send a "
                "`documentId` from the manifest, or a document's exact text.",
                field="query",
            )


def load_trusted_documents(path: Path | None) -> TrustedDocuments | None:
    """The deployment's manifest, if it names one."""
    return TrustedDocuments.load(path) if path is not None else None


def _normalised(key: str) -> str:
    return key.lower() if key.startswith(PREFIX) else PREFIX + key.lower()


def must_be_trusted(requirement: TrustedDocumentsRequirement, principal: Principal | None) -> bool:
    """Whether this caller may run only trusted documents."""
    if requirement is TrustedDocumentsRequirement.ALL:
        return True
    return requirement is TrustedDocumentsRequirement.CLIENTS and (
        principal is not None and principal.kind is PrincipalKind.CLIENT
    )

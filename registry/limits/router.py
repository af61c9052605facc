"""The GraphQL endpoint: Strawberry's FastAPI router, plus trusted documents (requests by ``documentId``,
and refusing untrusted documents of the callers that must use trusted ones) before anything is parsed."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter
from fastapi import Request, Response
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from registry.errors import UntrustedDocument
from registry.limits.rules import graphql_error
from registry.limits.trusted_documents import (
    TrustedDocuments,
    TrustedDocumentsRequirement,
    must_be_trusted,
)
from registry.schema.context import Context


@dataclasses.dataclass
class DocumentRequest(GraphQLRequestData):
    """A request that names its document by id instead of sending its text."""

    document_id: str | None = None


class RegistryGraphQLRouter(GraphQLRouter[Context, None]):
    def __init__(
        self,
        *args: Any,
        trusted_documents: TrustedDocuments | None,
        require_trusted_documents_for: str,
        **kwargs: Any,
    ) -> None:
        requirement = TrustedDocumentsRequirement(require_trusted_documents_for)
        if trusted_documents is None and requirement is not TrustedDocumentsRequirement.NONE:
            raise ValueError("trusted documents are required, but no manifest is configured")
        super().__init__(*args, **kwargs)
        self.trusted_documents = trusted_documents
        self.require_trusted_documents_for = requirement

    def encode_json(self, data: object) -> bytes:
        # orjson: several times faster than the standard library's encoder on every answer.
        return orjson.dumps(data)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)
        if isinstance(data, GraphQLRequestData) and data.query is None and request.method == "POST":
            # Only a request without a query is read again for its document id.
            body = self.parse_json(await request.get_body())
            requested = body.get("documentId") if isinstance(body, dict) else None
            if isinstance(requested, str):
                return DocumentRequest(
                    query=None,
                    variables=data.variables,
                    operation_name=data.operation_name,
                    extensions=data.extensions,
                    protocol=data.protocol,
                    document_id=requested,
                )
        return data

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        try:
            self._trust(request_data, context)
        except UntrustedDocument as refusal:
            return ExecutionResult(data=None, errors=[graphql_error(refusal)])
        return await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )

    def _trust(self, request_data: GraphQLRequestData, context: Context) -> None:
        """Put the text of a document requested by id into the request, and refuse a document that
        this caller may not run; :class:`UntrustedDocument` says why."""
        requested = request_data.document_id if isinstance(request_data, DocumentRequest) else None
        if requested is not None:
            if self.trusted_documents is None:
                raise UntrustedDocument(
                    "This deployment has no trusted documents to run by id.", field="documentId"
                )
            request_data.query = self.trusted_documents.text_of(requested)
        elif (
            self.trusted_documents is not None
            and request_data.query is not None
            and must_be_trusted(self.require_trusted_documents_for, context.principal)
        ):
            self.trusted_documents.check(request_data.query)

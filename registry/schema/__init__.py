"""GraphQL schema: types per domain, the schema builder, extensions."""

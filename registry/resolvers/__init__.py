"""Resolvers: thin functions that parse arguments and call the query or service layer."""

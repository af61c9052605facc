"""Compiled reads: the hot read operations answered without graphql-core's executor.

Strawberry parses and validates every document (both cached) and the resolvers stay the reference. An
operation whose every field is one this package knows (:mod:`registry.fastpath.plan`) is compiled once per
document into a plan: for each root field, which columns and joins its answer needs. Running a plan reads
those rows in one statement per root field, with the same visibility predicates the resolvers use (and the
database's row-level security under them), withholds personal data by the same policy, notes what it
returns in the request's audit trail, and builds the answer as plain dicts. Anything else, or anything the
plan cannot answer exactly as the resolvers would (a bad argument, another type's ID), goes to the
resolvers. ``tests/test_compiled_reads.py`` runs queries both ways and requires the same answers.
"""

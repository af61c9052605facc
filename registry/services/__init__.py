"""The rules of each write, between the thin GraphQL resolvers and the SQL in ``registry.db``.

A service takes the session and the principal, asks the policy module what is allowed, changes rows and
records the case event in the caller's transaction; the caller commits. Failures are
:class:`registry.errors.RegistryError` subclasses, and nothing is written when one is raised (the caller
rolls back).
"""

"""Inputs and payloads of mutations, one module per domain. Every mutation takes one ``input`` and returns a
payload with its result (null when it failed) and typed ``errors``."""

"""Counts about cases, incidents and programmes, and the small-cell protection applied to them."""

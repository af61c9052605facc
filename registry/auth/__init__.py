"""Authentication (tokens, passwords, keys), principals and the one policy module."""

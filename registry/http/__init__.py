"""HTTP hardening around the app: security headers, CORS, a request body limit."""

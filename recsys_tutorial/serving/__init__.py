"""Serving: a model bundle, an online feature store, the request path and an HTTP service."""

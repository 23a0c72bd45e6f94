"""Persistence: models, engine, unit of work and migrations."""

"""Pure rules: no SQLAlchemy, no I/O."""

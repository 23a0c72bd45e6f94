"""Service enforcement (N): router work tasks and payment commitments.

Owned by the enforcement work; tables are created by migration 0003.
"""

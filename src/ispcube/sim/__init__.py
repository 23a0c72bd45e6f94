"""Simulated network devices for tests and demos (no real hardware needed)."""

"""Test helpers shared by several test packages: real peers started on loopback.

- `freeradius`: Debian's FreeRADIUS daemon against a throw-away PostgreSQL database.
- `network`: simulated MikroTik routers registered through the CLI.
"""

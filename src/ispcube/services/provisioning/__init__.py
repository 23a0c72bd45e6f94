"""Provisioning (S2): bringing the routers to what the connections mean on them."""

"""The outside world: router drivers (MikroTik API, RADIUS) behind one interface."""

"""Use cases: plain values in, plain data out; the unit of work and the clock are passed in."""

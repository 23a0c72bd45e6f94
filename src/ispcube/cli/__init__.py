"""The command line: one module per noun; each command parses, calls a service, renders."""

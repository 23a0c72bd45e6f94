"""ispcube: the client side of an internet service provider."""

__version__ = "0.1.0"

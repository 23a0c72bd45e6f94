"""The client filters (C3), shared by `client list`, `export clients` and `map`."""

from typing import Any

from ispcube.cli.params import Flag

FILTER_FLAGS = [
    Flag("search", "Text searched in code, name, nickname, addresses, ID number, phones, e-mails.", short="-s"),
    Flag("postal_code", "Only this postal code."),
    Flag("locality", "Only this locality."),
    Flag("node", "Only clients of this node."),
    Flag("status", "Only this administrative status."),
    Flag("collector", "Only this collector's clients."),
    Flag("seller", "Only this seller's clients."),
    Flag("payment_method", "Only this payment method."),
    Flag("company", "Only this billing company (1-5)."),
    Flag("service", "active, throttled, cut or deleted (or activo, reducido, cortado, suspendido, baja)."),
    Flag("free", "Only free (or only paying) clients.", switch=True),
    Flag("deleted", "Deleted clients (ZZ codes) instead of the others.", on_off=True),
]


def client_filter(values: dict[str, Any]):
    """The ClientFilter named by the filter flags among VALUES."""
    from ispcube.services.clients.query import ClientFilter
    return ClientFilter(**{flag.name: values[flag.name] for flag in FILTER_FLAGS if flag.name in values})

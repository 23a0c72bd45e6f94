"""Mercado Pago (G1-G4): payment links for what clients owe, and the payments fetched and posted once."""

from ispcube.adapters.mercadopago import MercadoPagoApi, token_from_environment
from ispcube.services.admin import config
from ispcube.services.process.runtime import Runtime


def connect(rt: Runtime) -> MercadoPagoApi:
    """The account's API: the token from ISPCUBE_MERCADOPAGO_TOKEN or the config file, at `mercadopago.url`."""
    token = token_from_environment()
    with rt.uow() as uow:
        url = config.get_value(uow.session, "mercadopago.url")
    return MercadoPagoApi(token, url)

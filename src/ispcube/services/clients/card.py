"""The saved card as `client show` prints it, read with SQLAlchemy Core (start-up time, P6)."""

from sqlalchemy import Integer, String, select

from ispcube.services.clients.record import light_table

CLIENT_CARDS = light_table("clients", ("id", Integer()), ("card_brand", String()),
                           ("card_last4", String()), ("card_expiry", String()))


def saved_card(executor, client_id: int) -> str | None:
    """'visa ****4242 exp 2030-12', or None when the client has no card for Stripe charges."""
    c = CLIENT_CARDS.c
    row = executor.execute(select(c.card_brand, c.card_last4, c.card_expiry).where(c.id == client_id)).first()
    if row is None or not row.card_last4:
        return None
    return f"{row.card_brand} ****{row.card_last4} exp {row.card_expiry}"

"""The words of the notices (E4): shipped defaults, the subject line, the sender setting."""

from datetime import date
from decimal import Decimal

import pytest

from ispcube.domain.settings import setting
from ispcube.errors import Invalid
from ispcube.services.documents.notice_texts import check_notices, notice_context, render_notice
from ispcube.services.documents.templates import NOTICES, environment
from ispcube.services.notices.outbox import NoticeKind


def context(**changes):
    values = dict(kind="cut", code="00042", name="O'Brien & Núñez", epayment_code="9000000042",
                  payment_method="mercadopago", amount=Decimal("1234.5"), currency="EUR", next_step="cut",
                  next_on=date(2026, 3, 20), written_on=date(2026, 3, 10), sender="Fibra Norte")
    values.update(changes)
    return notice_context(**values)


def test_every_kind_has_a_shipped_template_that_passes_its_own_check():
    assert sorted(NOTICES) == sorted(f"notice-{kind}" for kind in NoticeKind)
    assert check_notices({}, list(NOTICES)) == len(NOTICES)


INVOICE = {"title": "Factura", "letter": "B", "number": "B 00003-00000042", "fiscal_number": "B 00003-00000042",
           "cae": "76123456789012", "cae_due": date(2026, 3, 20), "period": "2026-03", "total": Decimal("18900"),
           "payment_due": date(2026, 3, 10), "issued": date(2026, 3, 1)}


@pytest.mark.parametrize("kind", [k.value for k in NoticeKind])
def test_defaults_name_the_amount_the_next_step_and_how_to_pay(kind):
    rendered = render_notice(environment({}, text=True), kind, context(kind=kind, invoice=INVOICE))
    assert "00042" in rendered.subject and "\n" not in rendered.subject
    assert "Estimado/a O'Brien & Núñez:" in rendered.body          # plain text: nothing escaped
    assert "Cómo pagar:" in rendered.body and "9000000042" in rendered.body and "Mercado Pago" in rendered.body
    if kind in ("cut", "throttled", "preaviso", "reminder"):
        assert "1.234,50 EUR" in rendered.body and "Próximo paso:" in rendered.body
    if kind in ("throttled", "preaviso", "reminder"):
        assert "20/03/2026" in rendered.body


def test_an_invoice_is_named_by_its_fiscal_number_and_its_cae():
    rendered = render_notice(environment({}, text=True), "invoice", context(kind="invoice", invoice=INVOICE))
    assert rendered.subject == "Factura B 00003-00000042 (cliente 00042)"
    assert ("Le enviamos adjunta su factura B 00003-00000042 del período 2026-03, por 18.900,00 EUR, "
            "con vencimiento el 10/03/2026.") in rendered.body
    assert "Comprobante autorizado por AFIP con CAE N.º 76123456789012 (vencimiento del CAE: 20/03/2026)." \
        in rendered.body
    internal = {**INVOICE, "number": "1-15", "fiscal_number": None, "cae": None, "cae_due": None, "period": None,
                "payment_due": None}
    plain = render_notice(environment({}, text=True), "invoice", context(kind="invoice", invoice=internal))
    assert plain.subject == "Factura 1-15 (cliente 00042)"
    assert "Le enviamos adjunta su factura 1-15, por 18.900,00 EUR." in plain.body and "CAE" not in plain.body


def test_restored_without_a_debt_leaves_the_payment_out():
    body = render_notice(environment({}, text=True), "restored", context(kind="restored", amount=Decimal("0"))).body
    assert "Cómo pagar" not in body and "restablecimos" in body


def test_a_template_without_a_subject_or_a_body_is_refused():
    env = environment({"notice-cut": "\n\nAsunto tras líneas vacías\ncuerpo"}, text=True)
    with pytest.raises(Invalid, match="the first line is the subject"):
        render_notice(environment({"notice-cut": "x" * 201 + "\ncuerpo"}, text=True), "cut", context())
    assert render_notice(env, "cut", context()).subject == "Asunto tras líneas vacías"
    with pytest.raises(Invalid, match="nothing follows the subject line"):
        render_notice(environment({"notice-cut": "Asunto\n\n  \n"}, text=True), "cut", context())


def test_a_warning_names_the_next_stage_and_its_day():
    from ispcube.domain.enforcement import Stages
    from ispcube.domain.terms import NextStep
    from ispcube.services.notices.reminders import next_stage
    due, march = date(2026, 3, 10), lambda day: date(2026, 3, day)
    assert next_stage(Stages(), due, march(2)) == (NextStep.CUT, due)               # cut as soon as overdue
    assert next_stage(Stages(0, 10), due, march(2)) == (NextStep.CUT, march(20))
    assert next_stage(Stages(5, 15), due, march(2)) == (NextStep.THROTTLE, march(15))
    assert next_stage(Stages(5, 15), due, march(16)) == (NextStep.CUT, march(25))   # throttled: the cut is next
    assert next_stage(Stages(5, 15), due, march(26)) == (None, None)                # shielded past both
    assert next_stage(Stages(5, 0), due, march(2)) == (NextStep.CUT, due)           # no cut delay: no throttle
    assert next_stage(Stages(), None, march(2)) == (None, None)


def test_sender_and_host_settings_are_checked():
    sender = setting("smtp.from").parse
    assert sender(" Fibra Ñandú <avisos@fibra.example> ") == "Fibra Ñandú <avisos@fibra.example>"
    assert sender("avisos@fibra.example") == "avisos@fibra.example"
    with pytest.raises(Invalid, match="is not an e-mail address"):
        sender("Fibra Norte")
    with pytest.raises(Invalid):
        sender("Fibra <no valid@x>")
    assert setting("smtp.host").parse(" mail.example.net ") == "mail.example.net"
    with pytest.raises(Invalid, match="is not a host name"):
        setting("smtp.host").parse("smtp://mail.example.net")
    assert setting("smtp.password").secret

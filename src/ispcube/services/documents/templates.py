"""Document templates (D1): shipped defaults, operators' versions in the database, the sandbox.

Templates are Jinja2 run in an immutable sandbox with autoescape: no attribute starting with
an underscore (so no walk to Python internals), no file access (the loader knows only the
template names below; `{% include '/etc/passwd' %}` names no template), no mutation of the
data handed in. A version is checked before it is saved: it must compile, render every
document that uses it with sample data, and refer to no file or address outside the
template folder. Errors name the template and the line.
"""

from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, TypedDict

from sqlalchemy import func, select

from ispcube.db.document_models import DocumentTemplate
from ispcube.db.uow import UnitOfWork
from ispcube.domain.money import decimals_for
from ispcube.domain.text import quoted, refuse_nul
from ispcube.domain.words import amount_in_words
from ispcube.errors import Invalid, NotFound
from ispcube.services.process.runtime import Runtime, require_office

# name -> (file shipped in ispcube/templates, what it is)
TEMPLATES = {
    "receipt": ("receipt.html", "payment receipt (pay --receipt, receipt print)"),
    "listing": ("listing.html", "client listing (client list --template listing)"),
    "invoice": ("invoice.html", "invoice, credit and debit note (invoice print)"),
    "contract-1": ("contract-1.html", "contract model 1 (client contract, contract type 1)"),
    "contract-2": ("contract-2.html", "contract model 2 (client contract, contract type 2)"),
    "base": ("base.html", "layout shared by every document: company header"),
    "style": ("style.css", "print style shared by every document"),
    "notice-throttled": ("notice-throttled.txt", "e-mail: the speed was reduced (notify); first line: subject"),
    "notice-cut": ("notice-cut.txt", "e-mail: the service was cut (notify); first line: subject"),
    "notice-restored": ("notice-restored.txt", "e-mail: the service is back (notify); first line: subject"),
    "notice-preaviso": ("notice-preaviso.txt", "e-mail: payment warning (notify); first line: subject"),
    "notice-reminder": ("notice-reminder.txt", "e-mail: an invoice falls due soon (notify); first line: subject"),
    "notice-invoice": ("notice-invoice.txt", "e-mail: the invoice, its PDF attached (invoice send, notify); "
                       "first line: subject"),
    "notice-how-to-pay": ("notice-how-to-pay.txt", "how to pay, shared by every e-mail notice"),
}
DOCUMENTS = ("receipt", "listing", "invoice", "contract-1", "contract-2")
NOTICES = ("notice-throttled", "notice-cut", "notice-restored", "notice-preaviso", "notice-reminder",
           "notice-invoice")
MAX_TEMPLATE_BYTES = 512 * 1024


def asset_dir() -> Path:
    """The folder of the shipped templates: the only place a document may read files from."""
    return Path(str(resources.files("ispcube") / "templates"))


def default_body(name: str) -> str:
    return (asset_dir() / TEMPLATES[_known(name)][0]).read_text(encoding="utf-8")


def _known(name: str) -> str:
    if name not in TEMPLATES:
        raise NotFound(f"template {quoted(name)} does not exist (templates: {', '.join(TEMPLATES)})")
    return name


# --- The operators' versions -------------------------------------------------------------

def _latest(uow: UnitOfWork) -> dict[str, DocumentTemplate]:
    newest = (select(DocumentTemplate.name, func.max(DocumentTemplate.id).label("id"))
              .group_by(DocumentTemplate.name).subquery())
    rows = uow.session.scalars(select(DocumentTemplate).join(newest, newest.c.id == DocumentTemplate.id))
    return {row.name: row for row in rows}


def stored_bodies(uow: UnitOfWork) -> dict[str, str]:
    """The operators' versions in use (a reset name is absent: it uses the default)."""
    return {name: row.body for name, row in _latest(uow).items() if row.body is not None}


class TemplateRow(TypedDict):
    """`template list`: a template, and whether the operators' version or the default is in use."""
    name: str
    source: str                      # database | default
    saved_at: str | None
    saved_by: str | None
    about: str


class TemplateSaved(TypedDict):
    """`template set`: the template kept, and the pages its check rendered."""
    name: str
    checked: int


def list_templates(rt: Runtime) -> list[TemplateRow]:
    with rt.uow() as uow:
        rt.actor(uow)
        latest = {name: (row.body is not None, row.saved_at, row.operator)
                  for name, row in _latest(uow).items()}
    rows: list[TemplateRow] = []
    for name, (_, about) in TEMPLATES.items():
        custom, saved_at, operator = latest.get(name, (False, None, None))
        rows.append({"name": name, "source": "database" if custom else "default",
                     "saved_at": saved_at.isoformat(sep=" ") if saved_at else None,
                     "saved_by": operator, "about": about})
    return rows


def show_template(rt: Runtime, name: str, default: bool = False) -> str:
    _known(name)
    if default:
        return default_body(name)
    with rt.uow() as uow:
        rt.actor(uow)
        return stored_bodies(uow).get(name) or default_body(name)


def set_template(rt: Runtime, name: str, body: bytes) -> TemplateSaved:
    """Check BODY as template NAME and keep it as the version every host uses."""
    _known(name)
    if len(body) > MAX_TEMPLATE_BYTES:
        raise Invalid(f"template {name}: the file is larger than {MAX_TEMPLATE_BYTES // 1024} KiB")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid(f"template {name}: the file is not UTF-8 text") from None
    refuse_nul(text, f"template {name}: the file")
    with rt.uow() as uow:
        require_office(rt.actor(uow), "change templates")
        candidate = {**stored_bodies(uow), name: text}
        pages = check(candidate, name)
        uow.session.add(DocumentTemplate(name=name, body=text, saved_at=rt.now(), operator=rt.operator))
        uow.commit()
    return {"name": name, "checked": pages}


def reset_template(rt: Runtime, name: str) -> bool:
    """Go back to the shipped default; False when it was in use already."""
    _known(name)
    with rt.uow() as uow:
        require_office(rt.actor(uow), "change templates")
        if name not in stored_bodies(uow):
            return False
        uow.session.add(DocumentTemplate(name=name, body=None, saved_at=rt.now(), operator=rt.operator))
        uow.commit()
        return True


# --- Rendering ----------------------------------------------------------------------------

def environment(bodies: dict[str, str], *, text: bool = False):
    """A sandboxed environment over the operators' BODIES and the shipped defaults.

    TEXT: for plain-text e-mails: no HTML escaping, and a line holding only a block tag
    leaves no empty line behind."""
    from jinja2 import FunctionLoader, StrictUndefined, pass_context
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def load(name: str):
        if name not in TEMPLATES:
            return None
        source = bodies.get(name)
        return (source if source is not None else default_body(name)), f"<template {name}>", lambda: True

    @pass_context
    def money(context, value: Any) -> str:
        return format_money(value, context.get("currency") or "ARS")

    env = ImmutableSandboxedEnvironment(loader=FunctionLoader(load), autoescape=not text,
                                        trim_blocks=text, lstrip_blocks=text, keep_trailing_newline=text,
                                        undefined=StrictUndefined, auto_reload=False)
    env.filters.update(money=money, date=format_date, words=amount_in_words)
    return env


def render_html(bodies: dict[str, str], name: str, context: dict[str, Any]) -> str:
    """Render template NAME; any error becomes one sentence with the template and line."""
    try:
        return environment(bodies).get_template(name).render(context)
    except Exception as exc:  # noqa: BLE001 - a template may fail in any way; say where and why
        raise Invalid(describe_error(exc, name)) from None


def describe_error(exc: Exception, name: str) -> str:
    from jinja2 import TemplateNotFound, TemplateSyntaxError
    from jinja2.exceptions import SecurityError
    where, line = name, getattr(exc, "lineno", None)
    if isinstance(exc, TemplateSyntaxError) and exc.name:
        where = exc.name
    traceback = exc.__traceback__
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if filename.startswith("<template "):
            where, line = filename[len("<template "):-1], traceback.tb_lineno
        traceback = traceback.tb_next
    if isinstance(exc, TemplateNotFound):
        why = f"'{exc.name}' is not a template (templates may only use {', '.join(TEMPLATES)})"
    elif isinstance(exc, SecurityError):
        why = f"{str(exc).rstrip('.')} (templates run in a sandbox: no Python internals, files or environment)"
    else:
        why = str(exc) or type(exc).__name__
    return f"template {where}" + (f" line {line}" if line else "") + f": {why.rstrip('.')}"


def check(bodies: dict[str, str], name: str) -> int:
    """Render every document that uses NAME with sample data, to PDF; returns the page count
    (for an e-mail notice: every notice that uses it is rendered, and counted as a page)."""
    from ispcube.adapters.pdf import write_pdf
    from ispcube.services.documents.context import sample_context
    if name.startswith("notice-"):
        from ispcube.services.documents.notice_texts import check_notices
        return check_notices(bodies, [name] if name in NOTICES else list(NOTICES))
    uses = [name] if name in DOCUMENTS else list(DOCUMENTS)
    try:
        environment(bodies).get_template(name)
    except Exception as exc:  # noqa: BLE001 - syntax errors of any kind
        raise Invalid(describe_error(exc, name)) from None
    pages = 0
    for document in uses:
        rendered = write_pdf(render_html(bodies, document, sample_context(document)), None, asset_dir())
        if rendered.refused:
            raise Invalid(f"template {name} refers to {rendered.refused[0]}: documents may only use "
                          f"files of {asset_dir()} and never fetch from the network")
        pages += rendered.pages
    return pages


def format_money(value: Any, currency: str = "ARS") -> str:
    """1234.5 -> '1.234,50', the way amounts are written in Spanish (no decimals for CLP...)."""
    if value is None:
        return ""
    text = f"{Decimal(value):,.{decimals_for(currency)}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def format_date(value: Any) -> str:
    """A date as dd/mm/yyyy; accepts a date, a datetime or an ISO string."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    return value.strftime("%d/%m/%Y")

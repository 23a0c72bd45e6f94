"""The maintenance tables (A3, A4): one generic add/list/edit/delete over a table description."""

from typing import Any

from sqlalchemy import func, select

from ispcube.db import models as m
from ispcube.db.uow import UnitOfWork
from ispcube.domain.text import one_line, quoted
from ispcube.errors import Invalid, NotFound, Refused
from ispcube.services.admin.config import local_formats
from ispcube.services.admin.provision_queue import Clock, queue_for_plan
from ispcube.services.admin.table_specs import Table, table


def _model(name: str) -> Any:   # a model class of ispcube.db.models, by name
    return getattr(m, name)


def _find(uow: UnitOfWork, spec: Table, key: str):
    key_column = getattr(_model(spec.model), spec.key)
    value = spec.column(spec.key).parse(key)
    row = uow.session.scalar(select(_model(spec.model)).where(key_column == value))
    if row is None:
        raise NotFound(f"{spec.noun} {quoted(key)} does not exist")
    return row


def row_dict(spec: Table, row) -> dict[str, Any]:
    return {c.name: ("set" if getattr(row, c.name) else None) if c.hidden else getattr(row, c.name)
            for c in spec.columns}


def _parse_values(uow: UnitOfWork, spec: Table, raw: dict[str, str | None]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    local = local_formats(uow.session)
    for column in spec.columns:
        text = raw.get(column.name)
        if text is None:
            continue
        if str(text).strip() == "" and not column.required:
            values[column.name] = None
            continue
        try:
            one_line(text, f"{spec.noun} {column.name.replace('_', '-')}")
            values[column.name] = column.parse(text, local) if column.local else column.parse(text)
        except Invalid as exc:
            raise Invalid(f"{spec.noun} {column.name.replace('_', '-')}: {exc}") from None
    return values


def _check_unique(uow: UnitOfWork, spec: Table, values: dict, exclude_id: int | None = None) -> None:
    if spec.key not in values:
        return
    key_column = getattr(_model(spec.model), spec.key)
    query = select(_model(spec.model).id).where(key_column == values[spec.key])
    if exclude_id is not None:
        query = query.where(_model(spec.model).id != exclude_id)
    if uow.session.scalar(query) is not None:
        raise Refused(f"{spec.noun} {quoted(values[spec.key])} already exists")


def add_row(uow: UnitOfWork, noun: str, raw: dict[str, str | None]) -> dict[str, Any]:
    spec = table(noun)
    missing = [c.name.replace("_", "-") for c in spec.columns if c.required and not raw.get(c.name)]
    if missing:
        raise Invalid(f"{noun}: --{', --'.join(missing)} required")
    values = _parse_values(uow, spec, raw)
    if noun == "company" and uow.session.scalars(select(func.count(m.Company.id))).one() >= 5:
        raise Refused("there are already 5 billing companies, the most ispcube keeps")
    if spec.check is not None:
        spec.check({c.name: values.get(c.name) for c in spec.columns})
    _check_unique(uow, spec, values)
    row = _model(spec.model)(**values)
    uow.session.add(row)
    uow.commit()
    return row_dict(spec, row)


def list_rows(uow: UnitOfWork, noun: str) -> list[dict[str, Any]]:
    spec = table(noun)
    rows = uow.session.scalars(select(_model(spec.model)).order_by(getattr(_model(spec.model), spec.key)))
    return [row_dict(spec, row) for row in rows]


def edit_row(uow: UnitOfWork, rt: Clock, noun: str, key: str, raw: dict[str, str | None]) -> dict[str, Any]:
    """Change the row KEY of NOUN; a change the routers must follow (a plan's name, speeds or
    burst) leaves a provisioning task for every connection on it, in the same transaction (S2)."""
    spec = table(noun)
    row = _find(uow, spec, key)
    values = _parse_values(uow, spec, raw)
    for column in spec.columns:
        if column.required and column.name in values and values[column.name] is None:
            raise Invalid(f"{noun} {column.name.replace('_', '-')} must not be empty")
    if noun == "operator" and row.name == "system" and values.get("name", "system") != "system":
        raise Refused("operator 'system' is built in (scheduled jobs act as it) and cannot be renamed")
    if spec.check is not None:
        spec.check({c.name: values.get(c.name, getattr(row, c.name)) for c in spec.columns})
    _check_unique(uow, spec, values, exclude_id=row.id)
    moved = [name for name, value in values.items() if name in spec.provisioned and getattr(row, name) != value]
    for name, value in values.items():
        setattr(row, name, value)
    if moved and noun == "plan":
        queue_for_plan(uow, rt, row.id)
    uow.commit()
    return row_dict(spec, row)


def delete_row(uow: UnitOfWork, noun: str, key: str) -> None:
    spec = table(noun)
    row = _find(uow, spec, key)
    if noun == "operator" and row.name == "system":
        raise Refused("operator 'system' is built in (scheduled jobs act as it) and cannot be deleted")
    users = []
    for used in spec.used_by:
        column = getattr(_model(used.model), used.column)
        labels = uow.session.scalars(select(getattr(_model(used.model), used.label)).where(column == row.id)
                                     .order_by(getattr(_model(used.model), used.label)).limit(6)).all()
        users += [f"{used.what} {label}" for label in labels]
    if users:
        shown = ", ".join(users[:5]) + (" and more" if len(users) > 5 else "")
        raise Refused(f"{noun} {quoted(key)} is in use by {shown}; change those first")
    uow.session.delete(row)
    uow.commit()


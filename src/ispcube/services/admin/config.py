"""System settings stored in the database (A2)."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ispcube.db.models import Setting
from ispcube.db.uow import UnitOfWork
from ispcube.domain.local_formats import LocalFormats
from ispcube.domain.settings import SETTINGS, setting
from ispcube.domain.text import one_line, refuse_nul
from ispcube.errors import Invalid


@dataclass(frozen=True)
class SettingView:
    key: str
    value: Any
    default: Any
    description: str
    secret: bool

    @property
    def shown(self) -> str:
        if self.secret and self.value:
            return "********"
        if isinstance(self.value, list):
            return ",".join(str(v) for v in self.value)
        if isinstance(self.value, bool):
            return "yes" if self.value else "no"
        return "" if self.value is None else str(self.value)


def get_value(session: Session, key: str) -> Any:
    definition = setting(key)
    stored = session.scalar(select(Setting.value).where(Setting.key == key))
    return definition.default if stored is None else definition.load(stored)


def get_values(session: Session, *keys: str) -> tuple[Any, ...]:
    """The values of KEYS, in their order, read with one query."""
    rows = session.execute(select(Setting.key, Setting.value).where(Setting.key.in_(keys)))
    stored = {key: value for key, value in rows}
    return tuple(setting(key).default if stored.get(key) is None else setting(key).load(stored[key]) for key in keys)


def local_formats(session: Session) -> LocalFormats:
    """How this ISP writes amounts and dates (U1): read once by each command that parses them."""
    return LocalFormats.of(get_value(session, "country"), get_value(session, "locale.decimal"),
                           get_value(session, "locale.dates"))


def list_settings(uow: UnitOfWork) -> list[SettingView]:
    stored = dict(uow.session.execute(select(Setting.key, Setting.value)).all())
    return [SettingView(d.key, d.load(stored[d.key]) if d.key in stored else d.default, d.default,
                        d.description, d.secret) for d in SETTINGS.values()]


def get_setting(uow: UnitOfWork, key: str) -> SettingView:
    d = setting(key)
    return SettingView(key, get_value(uow.session, key), d.default, d.description, d.secret)


def set_setting(uow: UnitOfWork, key: str, raw: str, *, from_stdin: bool = False) -> SettingView:
    d = setting(key)
    if d.secret and not from_stdin:
        raise Invalid(f"setting {key} is secret: give its value on stdin (`ispcube config set {key} -`), "
                      "never on the command line")
    try:
        text = one_line(refuse_nul(raw, "the value"), "the value")
        value = d.parse(text, local_formats(uow.session)) if d.local else d.parse(text)
    except Invalid as exc:
        raise Invalid(f"setting {key}: {exc}") from None
    row = uow.session.get(Setting, key)
    if row is None:
        uow.session.add(Setting(key=key, value=d.dump(value)))
    else:
        row.value = d.dump(value)
    _check_consistency(uow.session)
    uow.commit()
    return SettingView(key, value, d.default, d.description, d.secret)


def _check_consistency(session: Session) -> None:
    session.flush()
    if get_value(session, "preaviso.from_day") > get_value(session, "preaviso.to_day"):
        raise Invalid("setting preaviso.from_day must not be after preaviso.to_day")
    throttle, cut = (get_value(session, "escalation.throttle_after_days"),
                     get_value(session, "escalation.cut_after_days"))
    if throttle and not cut:
        raise Invalid(f"setting escalation.throttle_after_days ({throttle}) needs escalation.cut_after_days above "
                      "it, and cut_after_days is 0 (cut at once, no throttle stage): set cut_after_days first, "
                      "or throttle_after_days to 0 first")
    if throttle and throttle >= cut:
        raise Invalid(f"setting escalation.throttle_after_days ({throttle}) must be below "
                      f"escalation.cut_after_days ({cut}): a debtor is throttled before it is cut")

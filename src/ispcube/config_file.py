"""The optional config file: defaults for the global options and the API keys.

`$ISPCUBE_CONFIG`, or `$XDG_CONFIG_HOME/ispcube/config.toml` (~/.config/ispcube/config.toml).
Keys: database_url, operator, stripe_api_key, google_maps_api_key, smtp_password, mercadopago_token.
A file holding a key must be readable by its owner only (chmod 600), or it is refused.
"""

import os
from pathlib import Path
import stat
import tomllib

from ispcube.domain.text import refuse_nul
from ispcube.errors import Invalid

KEYS = {"database_url", "operator", "stripe_api_key", "google_maps_api_key", "smtp_password", "mercadopago_token"}
SECRET_KEYS = {"stripe_api_key", "google_maps_api_key", "database_url", "smtp_password", "mercadopago_token"}


def config_path() -> Path:
    if os.environ.get("ISPCUBE_CONFIG"):
        return Path(os.environ["ISPCUBE_CONFIG"])
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "ispcube" / "config.toml"


def load() -> dict[str, str]:
    path = config_path()
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise Invalid(f"config file {path} is not valid TOML: {exc}") from None
    unknown = set(data) - KEYS
    if unknown:
        raise Invalid(f"config file {path} has unknown keys: {', '.join(sorted(unknown))} "
                      f"(known: {', '.join(sorted(KEYS))})")
    if set(data) & SECRET_KEYS and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise Invalid(f"config file {path} holds secrets but others can read it: run chmod 600 {path}")
    for key, given in data.items():
        refuse_nul(str(given), f"config file {path}: {key}")
    return {key: str(given) for key, given in data.items()}


def value(key: str, env: str) -> str | None:
    """An environment variable wins over the config file."""
    return os.environ.get(env) or load().get(key)

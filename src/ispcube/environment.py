"""The environment variables ispcube reads, in one list: the root `--help` and docs/configuration.md
show it, and a test checks that every variable the code reads is on it."""

VARIABLES: list[tuple[str, str]] = [
    ("ISPCUBE_DATABASE_URL", "database URL or SQLite file, as --db"),
    ("ISPCUBE_OPERATOR", "operator acting, as --operator"),
    ("ISPCUBE_CONFIG", "config file (default under $XDG_CONFIG_HOME)"),
    ("XDG_CONFIG_HOME", "holds ispcube/config.toml (default ~/.config)"),
    ("XDG_DATA_HOME", "holds ispcube/ispcube.db (default ~/.local/share)"),
    ("GOOGLE_MAPS_API_KEY", "Google key for client geocode (or config file)"),
    ("ISPCUBE_GEOCODING_URL", "other geocoding endpoint; wins over geocode.url"),
    ("STRIPE_API_KEY", "Stripe secret key (or the config file)"),
    ("STRIPE_API_BASE", "other Stripe API endpoint (a test server)"),
    ("ISPCUBE_STRIPE_TIMEOUT", "seconds to wait for Stripe (default 30)"),
    ("ISPCUBE_STRIPE_RETURN_URL", "default --return-url of stripe link"),
    ("ISPCUBE_MERCADOPAGO_TOKEN", "Mercado Pago access token (or the config file)"),
    ("ISPCUBE_SMTP_PASSWORD", "mail server password for notify (or config)"),
    ("ISPCUBE_LOG_DIR", "ispcube-job's log directory (/var/log/ispcube)"),
    ("XDG_STATE_HOME", "holds ispcube/, the job logs if /var/log is shut"),
    ("ISPCUBE_BIN", "the ispcube command that ispcube-job runs"),
]


def help_epilog() -> str:
    """The root help's closing section; \\b keeps Click from rewrapping it."""
    width = max(len(name) for name, _ in VARIABLES)
    lines = [f"  {name:<{width}}  {meaning}" for name, meaning in VARIABLES]
    return "\b\nEnvironment variables:\n" + "\n".join(lines) + \
        "\n\nSecrets named by --secret-env / --password-env VAR are read from VAR."

"""One error hierarchy for the whole product.

Services and adapters raise these; only the CLI turns them into a sentence on stderr and an
exit code (see the README's exit-code table).
"""


class IspcubeError(Exception):
    """Base of every error the product reports to its user."""

    exit_code = 1


class NotFound(IspcubeError):
    """A client, entry, operator or table row that does not exist (or is out of scope)."""


class Invalid(IspcubeError):
    """A value that fails validation: bad date, amount, e-mail, ID number..."""


class Refused(IspcubeError):
    """A well-formed request the current state does not allow (row in use, illegal move)."""


class UsageError(IspcubeError):
    """A command used the wrong way, e.g. a destructive change without --yes off a terminal."""

    exit_code = 2


class PartialFailure(IspcubeError):
    """A batch where some items failed and the rest were done."""

    exit_code = 3


class Duplicate(IspcubeError):
    """The duplicate ID / address check refused a new client (possible fraud)."""

    exit_code = 4


class Busy(IspcubeError):
    """Another run holds the job lock; try again later."""

    exit_code = 75


class SchemaOutdated(IspcubeError):
    """The database schema is behind this version of ispcube."""


class RouterError(IspcubeError):
    """A router (MikroTik API or RADIUS NAS) could not do what was asked."""


class RouterUnreachable(RouterError):
    """No answer: connection refused, timed out or dropped."""


class RouterAuthError(RouterError):
    """The router refused our login (user name or password)."""


class RouterProtocolError(RouterError):
    """The router answered, but with an error or something we cannot read."""


class MailError(IspcubeError):
    """The mail server could not take a notice."""


class MailUnavailable(MailError):
    """The mail server cannot take mail now (down, refused the login, busy): try again later."""


class MailRejected(MailError):
    """The mail server refused a message for good (every recipient address refused)."""


class FiscalError(IspcubeError):
    """The tax authority's service (AFIP's WSAA or WSFEv1) could not do what was asked."""


class FiscalUnreachable(FiscalError):
    """No answer, or the answer was lost: the request may or may not have been carried out."""


class FiscalAuthError(FiscalError):
    """The tax authority refused our login or our access ticket (certificate, key, ticket)."""


class FiscalProtocolError(FiscalError):
    """The tax authority answered with a fault or something we cannot read."""

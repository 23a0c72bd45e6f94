"""Import every model module, so Base.metadata knows every table (migrations, tests)."""

from ispcube.db import (  # noqa: F401
    collection_models,
    document_models,
    fiscal_models,
    gateway_models,
    ledger_models,
    models,
    network_models,
    notice_models,
    statement_models,
)
from ispcube.db.models import Base

metadata = Base.metadata

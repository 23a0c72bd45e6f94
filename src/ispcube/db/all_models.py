"""Import every model module, so Base.metadata knows every table (migrations, tests)."""

from ispcube.db import collection_models, document_models, ledger_models, models, network_models  # noqa: F401
from ispcube.db.models import Base

metadata = Base.metadata

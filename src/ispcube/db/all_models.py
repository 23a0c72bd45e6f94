"""Import every model module, so Base.metadata knows every table (migrations, tests)."""

from ispcube.db import (collection_models, document_models, ledger_models, models,  # noqa: F401
                        network_models)
from ispcube.db.models import Base

metadata = Base.metadata

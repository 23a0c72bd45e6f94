"""The lightweight Core tables of the start-up path (P6) must match the mapped models."""

import subprocess
import sys

import pytest

from sqlalchemy.sql.expression import TableClause

from ispcube.db.all_models import metadata
from ispcube.services import client_profile, client_record, runtime

# Every lightweight table the show path declares, wherever it is declared.
LIGHT_TABLES = [value for module in (client_record, client_profile, runtime) for value in vars(module).values()
                if type(value) is TableClause]


@pytest.mark.parametrize("light", LIGHT_TABLES, ids=lambda t: t.name)
def test_light_table_columns_exist_with_the_same_type(light):
    mapped = metadata.tables[light.name]
    for col in light.c:
        assert col.name in mapped.c, f"{light.name}.{col.name} is not in the models"
        assert col.type._type_affinity is mapped.c[col.name].type._type_affinity, \
            f"{light.name}.{col.name}: {col.type!r} vs {mapped.c[col.name].type!r}"
        assert type(col.type).__name__ == "Money" or type(mapped.c[col.name].type).__name__ != "Money"


def test_show_path_does_not_import_the_orm():
    code = ("import sys; import ispcube.cli.main, ispcube.services.client_profile, "
            "ispcube.cli.state, ispcube.db.schema; print('sqlalchemy.orm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

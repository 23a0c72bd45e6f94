"""The lightweight Core tables of the start-up path (P6) must match the mapped models."""

import subprocess
import sys

import pytest
from sqlalchemy.sql.expression import TableClause

from ispcube.db.all_models import metadata
from ispcube.services.clients import profile as client_profile, record as client_record
from ispcube.services.process import runtime

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
    code = ("import sys; import ispcube.cli.main, ispcube.services.clients.profile, "
            "ispcube.cli.state, ispcube.db.schema; print('sqlalchemy.orm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_client_dict_unpacks_the_record_in_the_order_it_is_selected():
    from datetime import date
    from decimal import Decimal

    from ispcube.services.clients.views import view_select
    assert tuple(c.name for c in client_record.record_select().selected_columns) == client_record.RECORD
    assert tuple(c.name for c in view_select().selected_columns) == client_record.RECORD
    row = {name: f"<{name}>" for name in client_record.RECORD}
    row.update(signup_date=date(2020, 1, 2), contract_expiry=None, balance=Decimal("12.5"), phones="1;2",
               emails="", preaviso_from=3, preaviso_to=9, address=None, has_webpass=1,
               mandate_date=date(2026, 3, 1), iban="ES9121000418450200051332", vat_condition=1)
    shown = client_record.client_dict(tuple(row.values()))
    assert (shown["code"], shown["postal_code"], shown["node"], shown["previous_code"]) == \
        ("<code>", "<postal_code>", "<node>", "<previous_code>")
    assert (shown["address"], shown["signup_date"], shown["balance"]) == ("<fiscal_address>", "2020-01-02", "12.50")
    assert (shown["phones"], shown["emails"], shown["preaviso_days"], shown["web_password"]) == \
        (["1", "2"], [], "3-9", True)
    assert (shown["mandate_date"], shown["iban"]) == ("2026-03-01", "ES91 2100 0418 4502 0005 1332")
    assert shown["vat_condition"] == "responsable-inscripto"
    plain = set(client_record.PLAIN) - {"address", "signup_date", "phones", "emails", "contract", "free",
                                        "blockable", "preaviso", "preaviso_from", "preaviso_to",
                                        "tickets_blocked", "deleted", "balance", "contract_expiry",
                                        "mandate_date", "iban", "vat_condition"}
    assert all(shown[name] == f"<{name}>" for name in plain)


def test_export_columns_are_the_shown_fields_in_order():
    from ispcube.services.clients.export import COLUMNS
    assert tuple(COLUMNS) == client_record.SHOWN

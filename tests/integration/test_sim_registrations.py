"""`sim routeros --registrations FILE`: wireless registrations seeded from CSV or JSON, so
`cpe signal` has CPEs to read; a bad file is refused with the row and column, before serving."""

import json

import routeros_api

from tests.conftest import Cli
from tests.integration.test_demo_explore import _sim, _stop

CSV = """mac_address,signal,snr,tx_ccq,rx_ccq,tx_rate,rx_rate,uptime,last_ip,interface
24:a4:3c:00:00:01,-71,29,88,83,65Mbps,58.5Mbps,1d2h,10.0.0.1,wlan2
24-A4-3C-00-00-02,-58,,,,,,3600,,
"""


def _read(port: int, path: str) -> list[dict]:
    pool = routeros_api.RouterOsApiPool("127.0.0.1", username="admin", password="", port=port, plaintext_login=True)
    try:
        return pool.get_api().get_resource(path).get()
    finally:
        pool.disconnect()


def test_registrations_from_a_csv_file(tmp_path):
    table = tmp_path / "cpes.csv"
    table.write_text(CSV)
    process, lines = _sim("--port", "0", "--registrations", str(table))
    try:
        port = int(lines[0].split("127.0.0.1:")[1].split()[0])
        rows = {r["mac-address"]: r for r in _read(port, "/interface/wireless/registration-table")}
    finally:
        _stop(process)
    assert set(rows) == {"24:A4:3C:00:00:01", "24:A4:3C:00:00:02"}
    first = rows["24:A4:3C:00:00:01"]
    assert (first["interface"], first["signal-strength"], first["signal-to-noise"]) == ("wlan2", "-71dBm@6Mbps", "29")
    assert (first["tx-ccq"], first["rx-ccq"], first["tx-rate"], first["last-ip"]) == ("88", "83", "65Mbps", "10.0.0.1")
    assert first["uptime"].startswith("1d02:00")
    assert rows["24:A4:3C:00:00:02"]["signal-strength"] == "-58dBm@6Mbps"


def test_registrations_from_a_json_file_in_the_routeros_7_table(tmp_path):
    table = tmp_path / "cpes.json"
    table.write_text(json.dumps([{"mac-address": "F0:9F:C2:11:22:33", "signal": -66, "table": "wifi"}]))
    process, lines = _sim("--port", "0", "--registrations", str(table))
    try:
        port = int(lines[0].split("127.0.0.1:")[1].split()[0])
        rows = _read(port, "/interface/wifi/registration-table")
    finally:
        _stop(process)
    assert [(r["mac-address"], r["signal"], r["interface"]) for r in rows] == [("F0:9F:C2:11:22:33", "-66", "wifi1")]


def test_a_bad_registrations_file_is_refused_naming_row_and_column(tmp_path):
    cli = Cli(f"sqlite:///{tmp_path / 'unused.db'}")
    cases = {
        "mac_address,signal\n24:A4:3C:00:00:01,-71\n24:A4:3C:00:00:02,strong\n":
            "row 2: column signal 'strong' is not a whole number",
        "mac_address,signal\n24:A4:3C:00:00:01,-171\n": "row 1: column signal '-171' is out of range (-120 to 0)",
        "mac_address,colour\n24:A4:3C:00:00:01,red\n": "row 1: unknown column 'colour'",
        "mac_address\nnot-a-mac\n": "row 1: column mac_address 'not-a-mac' is not a MAC address",
        "mac_address\n24:A4:3C:00:00:01\n24a43c000001\n": "row 2: MAC 24:A4:3C:00:00:01 is listed twice",
    }
    table = tmp_path / "cpes.csv"
    for text, why in cases.items():
        table.write_text(text)
        result = cli("sim", "routeros", "--port", "0", "--registrations", str(table))
        assert result.exit_code == 1 and result.stdout == ""
        assert result.stderr.startswith(f"ispcube: registrations file {table} {why}"), result.stderr
        assert result.stderr.count("\n") == 1
    broken = tmp_path / "cpes.json"
    broken.write_text('{"mac_address": "24:A4:3C:00:00:01"}')
    result = cli("sim", "routeros", "--port", "0", "--registrations", str(broken))
    assert result.exit_code == 1 and "must hold a JSON list of objects" in result.stderr
    missing = cli("sim", "routeros", "--port", "0", "--registrations", str(tmp_path / "none.csv"))
    assert missing.exit_code == 1 and "does not exist" in missing.stderr

"""`ispcube sim routeros`: the simulated MikroTik as a command, reachable by a real client."""

import os
import re
import signal
import subprocess
import sys

import routeros_api


def test_sim_routeros_serves_until_interrupted():
    env = {**os.environ, "SIM_PASSWORD": "pw"}
    process = subprocess.Popen(
        [sys.executable, "-c", "from ispcube.cli.main import run; run()", "sim", "routeros", "--port", "0",
         "--latency-ms", "5", "--user", "api", "--password-env", "SIM_PASSWORD"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)", line).group(1))
        pool = routeros_api.RouterOsApiPool("127.0.0.1", username="api", password="pw", port=port,
                                            plaintext_login=True)
        entries = pool.get_api().get_resource("/ip/firewall/address-list")
        entries.add(list="ispcube-cut", address="10.0.0.1", comment="A1")
        assert [row["address"] for row in entries.get(list="ispcube-cut")] == ["10.0.0.1"]
        pool.disconnect()
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "stopped after 2 commands (1 writes)" in out
    assert "pw" not in line + out

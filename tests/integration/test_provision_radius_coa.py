"""A RADIUS rate told by a CoA the NAS refused is told again by the next `provision` (S1, S2):
the CoA leaves nothing in the database to read back, so the run that finds the connection's
task failed before sets the rate again (and with it the CoA) even though the rows hold it."""

from sqlalchemy import update

from ispcube.db import models as m
from tests.support.radius_network import radius_fixtures

freeradius, radius = radius_fixtures()


def test_a_refused_coa_is_sent_again_by_the_next_run_and_then_the_task_closes(radius, runtime):
    cli, server, nas = radius
    for connection in cli.json("connection", "list"):      # the shared network's users were made by hand
        cli.ok("connection", "delete", str(connection["id"]), "--yes")
    cli.ok("plan", "add", "--name", "Hogar", "--price", "9500", "--down-kbps", "20000", "--up-kbps", "5000")
    cli.ok("client", "add", "--code", "C3", "--name", "Carla", "--address", "Calle 3")
    cli.ok("connection", "add", "C3", "--router", "nas1", "--pppoe-user", "carla", "--plan", "Hogar")
    with runtime.uow() as uow:
        uow.session.execute(update(m.Connection).where(m.Connection.pppoe_user == "carla")
                            .values(pppoe_password="clave-carla"))
        uow.commit()
    cli.ok("provision", "--all")
    accepted, reply = server.radtest("carla", "clave-carla")
    assert accepted and reply["Mikrotik-Rate-Limit"] == "5M/20M"
    server.accounting(**{"User-Name": "carla", "Acct-Status-Type": "Start", "Acct-Session-Id": "s-carla",
                         "NAS-IP-Address": "127.0.0.1", "Framed-IP-Address": "10.5.0.3"})

    nas.answer = "nak"
    cli.ok("plan", "edit", "Hogar", "--down-kbps", "30000")
    refused = cli("provision", "--all")
    assert refused.exit_code == 3 and "refused the CoA-Request for 'carla' (NAK)" in refused.stdout + refused.stderr
    assert server.radtest("carla", "clave-carla")[1]["Mikrotik-Rate-Limit"] == "5M/30M"   # the rows stand
    assert [r.get("Mikrotik-Rate-Limit") for r in nas.coa_requests] == ["5M/30M"]

    nas.answer = "ack"
    again = cli("provision")                 # only the task the refusal left open brings it back
    assert again.exit_code == 0, again.stdout + again.stderr
    assert [r.get("Mikrotik-Rate-Limit") for r in nas.coa_requests] == ["5M/30M", "5M/30M"]
    assert cli("provision").exit_code == 0 and len(nas.coa_requests) == 2     # closed: nothing is told twice

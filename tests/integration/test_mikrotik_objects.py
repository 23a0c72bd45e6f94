"""The MikroTik driver's provisioning verbs against the simulated router (S1, S3, S5): what
`read_objects` reads, and what `apply_objects` makes of a diff's ops."""

from ispcube.domain.provisioning import Held, Line, ObjectKind, Plan
from ispcube.sim.seeds import AddressRow, QueueRow, SecretRow
from tests.support.mikrotik import mikrotik

HOGAR = Plan("hogar", down_kbps=20000, up_kbps=5000)
ANA = Line(1, "A1", "10.0.0.1", "ana", "ana-pw-1", HOGAR)
BETO = Line(2, "B2", "10.0.0.2", None, None, HOGAR)


def test_read_objects_reads_each_menu_once_every_field_and_row_id():
    with mikrotik(lines=[ANA, BETO], secrets=[SecretRow("zoe", "z", "otro", False, "10.9.0.1", "a mano")],
                  queues=[QueueRow("vecino", "10.9.0.2", "1M/1M", None, False)],
                  addresses=[AddressRow("morosos", "10.9.0.3", "viejo")]) as router:
        router.sim.reset_counters()
        held = router.read()
        counts = dict(router.sim.command_counts)
        with_addresses = router.read(addresses=True)
        ids = {(kind, name): row[".id"] for kind in (ObjectKind.PROFILE, ObjectKind.SECRET, ObjectKind.QUEUE)
               for name, row in router.rows(kind).items()}
    assert counts == {"/ppp/profile/print": 1, "/ppp/secret/print": 1, "/queue/simple/print": 1}
    by_key = {(h.kind, h.name): h for h in held}
    assert sorted(by_key) == sorted(ids) == sorted([
        (ObjectKind.PROFILE, "default"), (ObjectKind.PROFILE, "default-encryption"),
        (ObjectKind.PROFILE, "ispcube-hogar"), (ObjectKind.PROFILE, "otro"),
        (ObjectKind.SECRET, "ana"), (ObjectKind.SECRET, "zoe"),
        (ObjectKind.QUEUE, "ispcube-B2"), (ObjectKind.QUEUE, "vecino")])
    assert all(h.row_id == ids[(h.kind, h.name)] and "id" not in h.fields and ".id" not in h.fields for h in held)
    ana = by_key[(ObjectKind.SECRET, "ana")]
    assert {k: ana.fields[k] for k in ("name", "password", "profile", "service", "remote-address", "comment",
                                       "disabled")} == {
        "name": "ana", "password": "ana-pw-1", "profile": "ispcube-hogar", "service": "pppoe",
        "remote-address": "10.0.0.1", "comment": "ispcube:A1", "disabled": "false"}
    assert by_key[(ObjectKind.PROFILE, "ispcube-hogar")].fields["rate-limit"] == "5M/20M"
    queue = by_key[(ObjectKind.QUEUE, "ispcube-B2")]
    assert (queue.fields["target"], queue.fields["max-limit"], queue.comment) == (
        "10.0.0.2/32", "5000000/20000000", "ispcube:B2")
    assert by_key[(ObjectKind.QUEUE, "vecino")].comment == ""
    assert [h for h in held if h.kind == ObjectKind.ADDRESS] == []
    [entry] = [h for h in with_addresses if h.kind == ObjectKind.ADDRESS]
    assert entry == Held(ObjectKind.ADDRESS, "10.9.0.3", entry.fields, entry.row_id)
    assert (entry.fields["list"], entry.comment, entry.row_id) == ("morosos", "viejo", "*1")
    assert len(with_addresses) == len(held) + 1

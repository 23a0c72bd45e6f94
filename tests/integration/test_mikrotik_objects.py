"""The MikroTik driver's provisioning verbs against the simulated router (S1, S3, S5): what
`read_objects` reads, and what `apply_objects` makes of a diff's ops."""

from dataclasses import replace

import pytest

from ispcube.domain.provisioning import Diff, Held, Line, ObjectKind, Plan, Verb, diff, wanted_objects
from ispcube.errors import RouterProtocolError, RouterUnreachable
from ispcube.sim.routeros import DEFAULT_TRAP_MESSAGE
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


RAPIDO = Plan("rapido", down_kbps=50000, up_kbps=10000)
CARLA = Line(3, "C3", "10.0.0.3", "carla", "carla-pw-3", HOGAR)
DORA = Line(4, "D4", "10.0.0.4", "dora", 'd=ñ "4" x', RAPIDO)     # a password as people type them
EMA = Line(5, "E5", "10.0.0.5", None, None, HOGAR)
NOW = [replace(ANA, ip="10.0.0.11", plan=RAPIDO), replace(BETO, ip="10.0.0.12", plan=RAPIDO), DORA, EMA]


def _diff(router, lines) -> Diff:
    return diff(wanted_objects("mikrotik", lines), router.read())


def _apply(router, ops, **config):
    with router.driver(**config) as driver:
        errors = driver.apply_objects(ops)
        return errors, driver.writes


@pytest.mark.parametrize("version", ["6.49.10", "7.14.3"])
def test_apply_adds_sets_and_removes_profiles_secrets_and_queues_then_nothing_is_left_to_do(version):
    with mikrotik(lines=[ANA, BETO, CARLA], version=version) as router:
        ops = _diff(router, NOW).ops
        assert [op.label for op in ops] == [
            "add profile 'ispcube-rapido'", "set secret 'ana'", "set queue 'ispcube-B2'", "add secret 'dora'",
            "add queue 'ispcube-E5'", "remove secret 'carla'", "remove profile 'ispcube-hogar'"]
        router.sim.reset_counters()
        errors, writes = _apply(router, ops)
        assert errors == [None] * 7 and writes == 7 == router.sim.writes
        profiles, secrets, queues = (router.rows(kind) for kind in (ObjectKind.PROFILE, ObjectKind.SECRET,
                                                                    ObjectKind.QUEUE))
        assert sorted(profiles) == ["default", "default-encryption", "ispcube-rapido"]
        assert profiles["ispcube-rapido"]["rate-limit"] == "10M/50M"
        assert {name: (s["password"], s["profile"], s["remote-address"], s["comment"], s["service"])
                for name, s in secrets.items()} == {
            "ana": ("ana-pw-1", "ispcube-rapido", "10.0.0.11", "ispcube:A1", "pppoe"),
            "dora": ('d=ñ "4" x', "ispcube-rapido", "10.0.0.4", "ispcube:D4", "pppoe")}
        assert {name: (q["target"], q["max-limit"], q["comment"]) for name, q in queues.items()} == {
            "ispcube-B2": ("10.0.0.12/32", "10000000/50000000", "ispcube:B2"),
            "ispcube-E5": ("10.0.0.5/32", "5000000/20000000", "ispcube:E5")}

        again = _diff(router, NOW)                     # idempotent: nothing more to do, nothing written
        assert again.ops == [] and again.foreign == [] and again.conflicts == []
        router.sim.reset_counters()
        assert _apply(router, again.ops) == ([], 0) and router.sim.writes == 0
        # the same adds and removes sent again find their work done: no error, no write
        repeated = [op for op in ops if op.verb != Verb.SET]
        assert _apply(router, repeated) == ([None] * len(repeated), 0) and router.sim.writes == 0


def test_objects_someone_else_made_are_never_touched():
    foreign = dict(profiles={"otro": "1M/1M"},
                   secrets=[SecretRow("zoe", "z", "otro", False, "10.9.0.1", "a mano"),
                            SecretRow("dora", "d", "default", False, None, None)],
                   queues=[QueueRow("vecino", "10.9.0.2", "1M/1M", None, False)])
    with mikrotik(lines=[ANA, BETO, CARLA], **foreign) as router:
        before = {kind: router.rows(kind) for kind in (ObjectKind.PROFILE, ObjectKind.SECRET, ObjectKind.QUEUE)}
        result = _diff(router, NOW)
        assert [w.label for w in result.conflicts] == ["secret 'dora'"]     # a hand-made secret holds the name
        assert sorted(h.label for h in result.foreign) == ["profile 'otro'", "queue 'vecino'", "secret 'zoe'"]
        errors, _ = _apply(router, result.ops)
        assert errors == [None] * len(result.ops)
        after = {kind: router.rows(kind) for kind in before}
    for kind, names in ((ObjectKind.PROFILE, ["otro"]), (ObjectKind.SECRET, ["zoe", "dora"]),
                        (ObjectKind.QUEUE, ["vecino"])):
        assert all(after[kind][name] == before[kind][name] for name in names), kind
    assert "ispcube-rapido" in after[ObjectKind.PROFILE] and "carla" not in after[ObjectKind.SECRET]


def test_a_refused_op_in_the_middle_of_a_batch_fails_alone_and_lands_on_the_next_run():
    many = [Line(10 + n, f"N{n}", f"10.1.0.{n}", f"user{n}", f"pw-{n}", HOGAR) for n in range(1, 13)]
    with mikrotik(out_of_order=3) as router:
        router.sim.trap_words = {"=name=user7"}
        ops = _diff(router, many).ops
        errors, writes = _apply(router, ops, write_depth=4)
        assert [op.label for op, error in zip(ops, errors, strict=True) if error] == ["add secret 'user7'"]
        [error] = [error for error in errors if error]
        assert isinstance(error, RouterProtocolError)
        assert str(error) == f"router core: add secret 'user7': refused ({DEFAULT_TRAP_MESSAGE})"
        assert writes == 12 and sorted(router.rows(ObjectKind.SECRET)) == sorted(
            f"user{n}" for n in range(1, 13) if n != 7)
        router.sim.trap_words = set()
        retry = _diff(router, many).ops
        assert [op.label for op in retry] == ["add secret 'user7'"]
        assert _apply(router, retry) == ([None], 1)
        assert router.rows(ObjectKind.SECRET)["user7"]["password"] == "pw-7"


def test_a_secret_whose_profile_was_refused_is_not_sent():
    with mikrotik() as router:
        router.sim.trap_words = {"=name=ispcube-rapido"}
        ops = _diff(router, [ANA, DORA, EMA]).ops
        errors, writes = _apply(router, ops)
        told = {op.label: str(error) for op, error in zip(ops, errors, strict=True) if error}
        assert told == {
            "add profile 'ispcube-rapido'":
                f"router core: add profile 'ispcube-rapido': refused ({DEFAULT_TRAP_MESSAGE})",
            "add secret 'dora'": "router core: add secret 'dora': not sent: its profile 'ispcube-rapido' could not "
                                 "be made"}
        assert writes == 3 and sorted(router.rows(ObjectKind.SECRET)) == ["ana"]


def test_answers_out_of_order_land_every_op_and_a_secret_waits_for_its_profile():
    lines = [Line(10 + n, f"N{n}", f"10.1.0.{n}", f"user{n}" if n % 3 else None, f"pw-{n}",
                  (HOGAR, RAPIDO)[n % 2]) for n in range(1, 25)]
    gone = [replace(CARLA, plan=Plan("viejo", 1000, 1000)), replace(EMA, client_code="OLD", connection_id=9)]
    with mikrotik(lines=gone, out_of_order=5) as router:
        ops = _diff(router, lines).ops
        router.sim.journal = []
        errors, writes = _apply(router, ops, write_depth=8)
        journal, router.sim.journal = router.sim.journal, None
        assert errors == [None] * len(ops) and writes == len(ops) == 2 + 24 + 3
        assert _diff(router, lines).ops == []
    sent = [event for event in journal if event.startswith(">")]
    middle = [n for n, event in enumerate(journal) if event.split()[1].startswith(("/ppp/secret", "/queue"))]
    profiles_added = [n for n, event in enumerate(journal) if event == "< /ppp/profile/add"]
    assert len(profiles_added) == 2 and max(profiles_added) < min(middle)   # answered before a secret is sent
    assert journal.index("> /ppp/profile/remove") > max(middle)   # sent once every secret and queue is answered
    # the login, each op once, and the sessions read once the secrets removed are gone
    assert len(sent) == len(ops) + 2 and sent.count("> /ppp/active/print") == 1


def test_a_password_is_in_no_error_and_nothing_is_printed(capsys):
    with mikrotik() as router:
        router.sim.trap_words = {"=name=ana"}
        router.sim.trap_message = "invalid value for argument password: ana-pw-1"
        ops = _diff(router, [ANA]).ops
        errors, _ = _apply(router, ops)
        assert str(errors[1]) == ("router core: add secret 'ana': refused (invalid value for argument "
                                  "password: ********)")
        router.sim.trap_words = set()
        with router.driver() as driver:
            router.sim.drop_mid_reply = True                   # the router is lost mid-batch
            lost = driver.apply_objects(ops)
        router.sim.drop_mid_reply = False
    assert all(isinstance(error, RouterUnreachable) for error in lost), lost
    assert str(lost[0]) == "router core: unreachable (the router closed the connection)"
    told = " ".join(str(error) for error in [*errors, *lost]) + "".join(capsys.readouterr())
    assert "ana-pw-1" not in told and "/ppp/" not in told and "=name=" not in told


def test_the_router_lost_before_a_wave_fails_that_wave_and_every_later_one():
    with mikrotik() as router:
        ops = _diff(router, [ANA, DORA]).ops
        driver = router.driver()
        driver.open()
        router.sim.stop()
        errors = driver.apply_objects(ops)
        driver.close()
    assert len(errors) == 4 and all(isinstance(error, RouterUnreachable) for error in errors)
    assert driver.writes == 0


def test_drift_made_by_hand_is_found_and_put_right():
    with mikrotik(lines=[ANA, BETO]) as router:
        state = router.sim.state
        with router.sim.lock:
            state.ppp_profiles.set("ispcube-hogar", {"rate-limit": "1M/1M"})
            state.ppp_secrets.set("ana", {"remote-address": "10.0.0.99", "disabled": "yes"})
            state.simple_queues.set("ispcube-B2", {"max-limit": "2M/2M"})
        drift = _diff(router, [ANA, BETO])
        assert [(op.label, dict(op.fields)) for op in drift.ops] == [
            ("set profile 'ispcube-hogar'", {"rate-limit": "5M/20M"}),
            ("set secret 'ana'", {"remote-address": "10.0.0.1"}),
            ("set queue 'ispcube-B2'", {"max-limit": "5M/20M"})]
        assert _apply(router, drift.ops) == ([None] * 3, 3)
        assert _diff(router, [ANA, BETO]).ops == []
        assert router.rows(ObjectKind.PROFILE)["ispcube-hogar"]["rate-limit"] == "5M/20M"
        assert router.rows(ObjectKind.SECRET)["ana"]["disabled"] == "true"      # enforce's, left as it was


def test_an_address_taken_off_is_unset_on_the_secret():
    with mikrotik(lines=[ANA]) as router:
        without_ip = replace(ANA, ip=None, plan=None)
        ops = _diff(router, [without_ip]).ops
        assert [(op.label, dict(op.fields)) for op in ops] == [
            ("set secret 'ana'", {"profile": "default", "remote-address": ""}),
            ("remove profile 'ispcube-hogar'", {})]
        router.sim.reset_counters()
        assert _apply(router, ops) == ([None, None], 3)
        assert router.sim.command_counts["/ppp/secret/unset"] == 1
        secret = router.rows(ObjectKind.SECRET)["ana"]
        assert "remote-address" not in secret and secret["profile"] == "default"
        assert _diff(router, [without_ip]).ops == []

"""A simulated MikroTik preloaded with a network, and drivers logged in to it: for the tests of
provisioning and adoption.

    with mikrotik(lines=[...], secrets=[SecretRow(...)]) as router:
        with router.driver() as driver:
            held = driver.read_objects()
        router.sim.out_of_order = 4            # every fault switch of the simulator is at hand

`lines` loads what ispcube makes for those connections (`wanted_objects`): a router provisioned
before the test starts. `profiles`, `secrets`, `queues` and `addresses` load what someone else
made (the rows of `ispcube sim routeros --secrets/--queues/--address-lists`). `numbered_secrets`
makes many secrets at once, as an existing network has them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
import ipaddress

from ispcube.adapters.drivers import Driver, RouterConfig, driver_for
from ispcube.domain.provisioning import Held, Line, ObjectKind, Wanted, wanted_objects
from ispcube.sim.routeros import RouterOSSimulator
from ispcube.sim.seeds import AddressRow, QueueRow, SecretRow
from tests.support.network import SIM_PASSWORD, SIM_USER


@dataclass
class SimRouter:
    sim: RouterOSSimulator
    config: RouterConfig

    def driver(self, **changes) -> Driver:
        """A driver for this router (CHANGES: other RouterConfig values, e.g. write_depth)."""
        return driver_for(replace(self.config, **changes))

    def read(self, addresses: bool = False) -> list[Held]:
        """What the router holds, read through a driver of its own."""
        with self.driver() as driver:
            return driver.read_objects(addresses)

    def rows(self, kind: ObjectKind) -> dict[str, dict[str, str]]:
        """{name: printed row} of one kind, straight from the simulator (no driver involved)."""
        rows = {ObjectKind.PROFILE: self.sim.ppp_profiles, ObjectKind.SECRET: self.sim.ppp_secrets,
                ObjectKind.QUEUE: self.sim.simple_queues}[kind]()
        return {row["name"]: row for row in rows}


@contextmanager
def mikrotik(*, lines: Iterable[Line] = (), profiles: Mapping[str, str | None] | None = None,
             secrets: Iterable[SecretRow] = (), queues: Iterable[QueueRow] = (),
             addresses: Iterable[AddressRow] = (), name: str = "core", version: str = "6.49.10",
             **switches) -> Iterator[SimRouter]:
    """A running simulator holding LINES' objects and the others given; SWITCHES set the
    simulator's fault switches (out_of_order=4, latency_ms=30, trap_words={...})."""
    with RouterOSSimulator(username=SIM_USER, password=SIM_PASSWORD, frozen_clock=True, version=version) as sim:
        for switch, value in switches.items():
            if not hasattr(sim, switch):
                raise TypeError(f"the simulated MikroTik has no switch {switch!r}")
            setattr(sim, switch, value)
        for wanted in wanted_objects("mikrotik", lines):
            provisioned(sim, wanted)
        for profile, rate in (profiles or {}).items():
            sim.add_ppp_profile(profile, rate_limit=rate)
        for row in (*secrets, *queues, *addresses):
            row.seed(sim)
        yield SimRouter(sim, RouterConfig(name, "mikrotik", sim.host, sim.port, username=SIM_USER,
                                          secret=SIM_PASSWORD))


def provisioned(sim: RouterOSSimulator, wanted: Wanted) -> str:
    """Put WANTED on the simulator as ispcube would have made it; its row id."""
    fields = dict(wanted.fields)
    if wanted.kind == ObjectKind.PROFILE:
        return sim.add_ppp_profile(wanted.name, rate_limit=fields["rate-limit"])
    if wanted.kind == ObjectKind.SECRET:
        return sim.add_ppp_secret(wanted.name, password=fields.get("password", ""), profile=fields["profile"],
                                  service=fields["service"], comment=fields["comment"],
                                  remote_address=fields.get("remote-address"))
    if wanted.kind == ObjectKind.QUEUE:
        return sim.add_simple_queue(wanted.name, fields["target"], max_limit=fields["max-limit"],
                                    comment=fields["comment"])
    raise ValueError(f"a MikroTik holds no {wanted.kind}")


def numbered_secrets(count: int, *, prefix: str = "ppp", first: int = 1, network: str = "10.20.0.0/16",
                     profile: str = "default", password: str = "x") -> list[SecretRow]:
    """COUNT secrets `<prefix><n>` (n from FIRST), each with the n-th address of NETWORK."""
    hosts = ipaddress.IPv4Network(network)
    return [SecretRow(f"{prefix}{n}", password, profile, False, str(hosts[n]), None)
            for n in range(first, first + count)]

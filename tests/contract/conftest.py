"""One driver contract, every driver: each kind of router in the driver registry is set up
here behind the same fixture (a fixture named after the kind), so the tests in
test_driver_contract.py run unchanged against all of them (the fakes are real peers: the
simulated MikroTik over the API, a SQL database plus a pyrad NAS). A kind registered without
a fixture here fails the suite."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import pytest
from sqlalchemy import create_engine, insert
from sqlalchemy.engine import make_url

from ispcube.adapters.drivers import RouterConfig, Target, kinds
from ispcube.adapters.radius_schema import METADATA, RADACCT, RADUSERGROUP
from ispcube.sim.routeros import RouterOSSimulator
from tests.conftest import PG_ADMIN_URL, _pg_admin_engine
from tests.support.radius_nas import FakeNas


@dataclass
class Rig:
    """A router of one kind, ready for the contract."""
    config: RouterConfig
    target: Target
    other: Target                               # a second connection on the same router
    add_foreign: Callable[[], None]             # an entry in our list that ispcube did not make
    foreign_present: Callable[[], bool]
    break_with: Callable[[str], RouterConfig]   # "unreachable" | "auth" | "error" -> config that fails
                                                # (call once: each failure kind gets a fresh rig)


@pytest.fixture
def mikrotik():
    with RouterOSSimulator(username="api", password="pw", frozen_clock=True) as sim:
        sim.add_ppp_secret("ana")
        sim.add_ppp_active("ana", address="10.0.0.1")
        config = RouterConfig("sim", "mikrotik", sim.host, sim.port, username="api", secret="pw")

        def break_with(kind: str) -> RouterConfig:
            if kind == "unreachable":
                sim.refuse_connections = True
            elif kind == "auth":
                return RouterConfig("sim", "mikrotik", sim.host, sim.port, username="api", secret="bad")
            else:
                sim.trap_on = {"/ip/firewall/address-list/add", "/ip/firewall/address-list/remove",
                               "/ppp/secret/set"}
            return config
        yield Rig(config, Target(1, "A1", "10.0.0.1", "ana"), Target(2, "B2", "10.0.0.2"),
                  lambda: sim.add_address("ispcube-cut", "10.0.0.2", comment="by hand"),
                  lambda: any(r.get("comment") == "by hand" for r in sim.address_list("ispcube-cut")),
                  break_with)


@pytest.fixture
def radius(tmp_path):
    url = f"sqlite:///{tmp_path / 'radius.db'}"
    engine = create_engine(url)
    METADATA.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(RADACCT).values(username="ana", acctsessionid="s-1",
                                            nasipaddress="127.0.0.1", acctstarttime=None))
    with FakeNas(secret=b"nas-secret") as nas:
        config = RouterConfig("nas", "radius", "127.0.0.1", secret="nas-secret", coa_port=nas.port,
                              radius_db_url=url, timeout=1.0)

        def add_foreign() -> None:
            with engine.begin() as conn:
                conn.execute(insert(RADUSERGROUP).values(username="zoe", groupname="ispcube-cut", priority=0))

        def foreign_present() -> bool:
            with engine.connect() as conn:
                return "zoe" in conn.execute(RADUSERGROUP.select()).scalars(1).all()

        def break_with(kind: str) -> RouterConfig:
            if kind == "unreachable":
                nas.answer = "silence"
            elif kind == "auth":
                # A NAS drops a request signed with another secret unanswered (RFC 5176), so
                # the login refused is the RADIUS database's: a user it does not know.
                _pg_admin_engine().dispose()
                refused = make_url(PG_ADMIN_URL).set(username="ispcube_no_such_user", password="pw")
                return replace(config, radius_db_url=refused.render_as_string(hide_password=False))
            else:
                nas.answer = "nak"
            return config
        yield Rig(config, Target(1, "A1", "10.0.0.1", "ana"), Target(2, "B2", None, "beto"),
                  add_foreign, foreign_present, break_with)
    engine.dispose()


@pytest.fixture(params=kinds())
def rig(request) -> Rig:
    return request.getfixturevalue(request.param)

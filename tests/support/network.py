"""Helpers for the enforcement tests: simulated MikroTiks registered as routers, clients with
connections and debts, all through the real CLI."""

from __future__ import annotations

from contextlib import ExitStack

from ispcube.sim.routeros import RouterOSSimulator

SIM_USER, SIM_PASSWORD = "admin", "s3cret"


def start_simulators(stack: ExitStack, count: int, **options) -> list[RouterOSSimulator]:
    sims = []
    for index in range(count):
        sim = RouterOSSimulator(username=SIM_USER, password=SIM_PASSWORD, identity=f"r{index + 1}",
                                frozen_clock=True, **options)
        stack.enter_context(sim)
        sims.append(sim)
    return sims


def add_mikrotik(cli, name: str, sim: RouterOSSimulator) -> None:
    cli.ok("router", "add", name, "--kind", "mikrotik", "--host", sim.host, "--port", str(sim.port),
           "--user", SIM_USER, "--secret-env", "SIM_SECRET", env={"SIM_SECRET": SIM_PASSWORD})


def add_client(cli, code: str, router: str, ip: str | None, *, debt: str | None = None,
               pppoe: str | None = None, extra: tuple[str, ...] = ()) -> None:
    cli.ok("client", "add", "--code", code, "--name", f"Client {code}", "--address", f"Street {code}", *extra)
    args = ["connection", "add", code, "--router", router]
    args += ["--ip", ip] if ip else []
    args += ["--pppoe-user", pppoe] if pppoe else []
    cli.ok(*args)
    if debt:
        cli.ok("ledger", "adjust", code, "--debit", debt, "--reason", "test debt")


def cut_list(sim: RouterOSSimulator, name: str = "ispcube-cut") -> dict[str, str]:
    """{address: comment} of one list on the simulated router."""
    return {row["address"]: row.get("comment", "") for row in sim.address_list(name)}

"""The driver contract: what enforce relies on, checked against every kind of router."""

from dataclasses import replace

import pytest

from ispcube.adapters.drivers import (
    CUT_LIST,
    LISTS,
    PREAVISO_LIST,
    REGISTRY,
    driver_class,
    driver_for,
    kind_of,
    kinds,
)
from ispcube.errors import RouterAuthError, RouterError, RouterProtocolError, RouterUnreachable


def _read(config, targets):
    driver = driver_for(config)
    driver.open()
    return driver, driver.read(CUT_LIST, targets)


def test_probe_answers_after_login(rig):
    with driver_for(rig.config) as driver:
        assert isinstance(driver.probe(), dict)


def test_mark_then_clear_write_only_what_is_missing(rig):
    targets = [rig.target, rig.other]
    driver, holding = _read(rig.config, targets)
    assert not driver.marked(holding, rig.target) and driver.cleared(holding, rig.target)
    driver.mark(holding, rig.target)
    assert driver.writes >= 1 and driver.marked(holding, rig.target)
    driver.close()

    again, holding = _read(rig.config, targets)          # a fresh read sees what was written
    assert again.marked(holding, rig.target) and not again.cleared(holding, rig.target)
    assert again.cleared(holding, rig.other)
    again.mark(holding, rig.target)
    assert again.writes == 0                               # nothing missing: nothing written
    again.clear(holding, rig.target)
    assert again.writes >= 1 and again.cleared(holding, rig.target)
    again.close()

    last, holding = _read(rig.config, targets)
    assert last.cleared(holding, rig.target)
    last.clear(holding, rig.target)
    assert last.writes == 0
    last.close()


def test_entries_made_by_someone_else_are_never_touched(rig):
    rig.add_foreign()
    driver, holding = _read(rig.config, [rig.target, rig.other])
    assert driver.strays(holding, [rig.target, rig.other], {"A1", "B2"}) == []
    driver.mark(holding, rig.target)
    driver.clear(holding, rig.target)
    driver.close()
    assert rig.foreign_present()


FAILURES = {"unreachable": RouterUnreachable, "auth": RouterAuthError, "error": RouterProtocolError}


@pytest.mark.parametrize("failure", FAILURES)
def test_each_failure_is_told_apart_by_its_error_class(rig, failure):
    """A fresh rig per failure kind, so no fault switch of one case leaks into the next."""
    config = rig.break_with(failure)
    with pytest.raises(RouterError) as caught:
        driver, holding = _read(config, [rig.target])
        try:
            driver.mark(holding, rig.target, requested=True)   # as a task's retry does
        finally:
            driver.close()
    assert type(caught.value) is FAILURES[failure], str(caught.value)
    assert config.name in str(caught.value)
    assert "pw" not in str(caught.value) and "nas-secret" not in str(caught.value)


def test_unknown_kind_is_a_protocol_error(rig):
    from dataclasses import replace
    with pytest.raises(RouterProtocolError, match="no driver for kind 'cisco'"):
        driver_for(replace(rig.config, kind="cisco"))


def test_every_list_a_driver_keeps_is_marked_and_cleared_on_its_own(rig):
    """The cut, throttle (E2) and warning lists, each written only where it lacks the mark;
    a mark on one list is no mark on another."""
    config = replace(rig.config, throttle_rate="1M/1M")
    for list_name in driver_for(config).lists:
        with driver_for(config) as driver:
            holding = driver.read(list_name, [rig.target])
            assert driver.cleared(holding, rig.target), list_name
            driver.mark(holding, rig.target)
            assert driver.writes >= 1 and driver.marked(holding, rig.target), list_name
        with driver_for(config) as again:
            holding = again.read(list_name, [rig.target])
            assert again.marked(holding, rig.target), list_name
            again.mark(holding, rig.target)
            assert again.writes == 0, list_name
            for other in set(again.lists) - {list_name}:
                assert again.cleared(again.read(other, [rig.target]), rig.target), (list_name, other)
            again.clear(holding, rig.target)
            assert again.cleared(holding, rig.target), list_name
        with driver_for(config) as last:
            assert last.cleared(last.read(list_name, [rig.target]), rig.target), list_name


def test_the_registry_is_the_one_list_of_kinds():
    assert kinds() == tuple(sorted(REGISTRY))
    for kind in kinds():
        cls = driver_class(kind)
        assert cls is not None and cls.kind == kind and set(cls.lists) <= set(LISTS)
        assert cls.__module__ == REGISTRY[kind].module
        if kind_of(kind).pppoe_user_only:      # the warning list redirects by address
            assert PREAVISO_LIST not in cls.lists, kind


def test_a_kind_no_driver_handles_asks_for_nothing_special():
    assert not kind_of("cisco").pppoe_user_only
    assert not kind_of("cisco").radius_tables and "cisco" not in REGISTRY

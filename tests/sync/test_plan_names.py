"""`pbsync.plan` is the library function, and no submodule shadows or is shadowed by it."""

from __future__ import annotations

import importlib
import importlib.util
import inspect

import pytest

import pbsync


def test_plan_is_the_function_whichever_way_it_is_imported() -> None:
    from pbsync import plan
    from pbsync.sync.planner import make_plan

    assert plan is pbsync.plan and inspect.isfunction(plan)
    assert pbsync.make_plan is make_plan
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("pbsync.plan")


@pytest.mark.parametrize(
    "name",
    [
        "load",
        "plan",
        "push",
        "pull",
    ],
)
def test_no_submodule_is_named_like_a_library_function(name: str) -> None:
    assert inspect.isfunction(getattr(pbsync, name))
    assert importlib.util.find_spec(f"pbsync.{name}") is None

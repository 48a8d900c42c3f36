"""Requirement inference details the model flavours rely on: the module map, code scanning."""

from __future__ import annotations

import importlib.metadata as md
import textwrap

import pytest

from litetrack.models import requirements as R

cloudpickle = pytest.importorskip("cloudpickle")


def test_module_map_matches_importlib() -> None:
    mine = R._scan_distributions()
    theirs = md.packages_distributions()
    for module, dists in theirs.items():
        assert sorted(set(mine.get(module, ()))) == sorted(set(dists)), module


def test_code_of_by_value_functions_is_scanned() -> None:
    import types

    mod = types.ModuleType("not_importable_code")
    exec(
        textwrap.dedent(
            """
            import json as js
            import email.parser
            def predict(x):
                import decimal
                from collections import abc
                from . import sibling
                return js.dumps(x)
            """
        ),
        mod.__dict__,
    )
    data = cloudpickle.dumps(mod.predict)
    plain = R.modules_in_pickle(data)
    with_code = R.modules_in_pickle(data, include_code=True)
    assert "json" not in plain and "decimal" not in plain
    assert {"json", "decimal", "collections"} <= with_code
    assert "sibling" not in with_code  # relative imports name no distribution


def test_no_module_map_needed_without_third_party_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> None:
        raise AssertionError("the module map was built")

    monkeypatch.setattr(R, "_packages_distributions", boom)
    assert R.infer_requirements(
        ["os", "json.decoder", "__main__"], extra_packages=["cloudpickle"]
    ) == [R.pinned("cloudpickle")]

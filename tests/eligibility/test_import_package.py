"""The import package's map (its docstring) names every module of the package."""

from __future__ import annotations

import pkgutil
import re

import eligibility.imports as package


def test_the_module_map_lists_every_module():
    modules = {info.name for info in pkgutil.iter_modules(package.__path__)}
    listed = set(re.findall(r":mod:`\.(\w+)`", package.__doc__ or ""))
    assert modules == listed

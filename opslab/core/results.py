"""The surface every result of the public API shares: ``.frame``, ``.problems``, ``.config``,
``.as_of``.

Table results are :class:`opslab.api.shape.Result` dataclasses. Richer results (churn risk, CLV,
a forecast, a funnel, paths, an A/B readout, the report) keep their named parts and gain the
shared surface from :func:`result_surface`, which says which part is the main table.

>>> from dataclasses import dataclass
>>> @result_surface(frame="steps")
... @dataclass(frozen=True)
... class Demo:
...     steps: list
>>> d = Demo([1, 2])
>>> d.frame, d.problems, d.config, d.as_of
([1, 2], (), None, None)
"""

from __future__ import annotations

import warnings
from typing import Callable

SURFACE = ("frame", "problems", "config", "as_of")


def _getter(source) -> Callable:
    if callable(source):
        return source
    return lambda self: getattr(self, source)


def result_surface(frame, problems=None, config=None, as_of=None):
    """Class decorator: add the shared surface's names the class does not already have.

    Each argument names an attribute of the class (or is a function of the result); a name the
    class defines itself (a field or a property) is left alone.
    """
    defaults = {"frame": frame, "problems": problems, "config": config, "as_of": as_of}

    def decorate(cls):
        fields = set(getattr(cls, "__dataclass_fields__", {}))
        for name in SURFACE:
            if name in fields or name in vars(cls):
                continue
            source = defaults[name]
            if source is None:
                empty = () if name == "problems" else None
                setattr(cls, name, property(lambda self, _v=empty: _v))
            else:
                setattr(cls, name, property(_getter(source)))
        return cls

    return decorate


def old_names(namespace: dict, renamed: dict[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` (PEP 562) that still gives each old name of ``renamed`` (old ->
    new) for one release, with a DeprecationWarning: ``__getattr__ = old_names(globals(), {...})``.

    >>> import types
    >>> mod = types.ModuleType("m")
    >>> mod.NewResult = int
    >>> mod.__getattr__ = old_names(vars(mod), {"Old": "NewResult"})
    >>> import pytest
    >>> with pytest.warns(DeprecationWarning, match="m.Old is deprecated; use m.NewResult"):
    ...     mod.Old is int
    True
    """
    module = namespace["__name__"]

    def __getattr__(name: str):
        if name in renamed:
            warnings.warn(f"{module}.{name} is deprecated; use {module}.{renamed[name]}", DeprecationWarning,
                          stacklevel=2)
            return namespace[renamed[name]]
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    return __getattr__

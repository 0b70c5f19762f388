"""The shared surface of the notebook API: the :class:`Result` every analysis returns and the
helpers that give every function the same shape (the data set behind ``ds``, settings by name
filling the config, old positional settings with a DeprecationWarning)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import pandas as pd

from opslab.behaviour.funnel_sql import event_names
from opslab.core.periods import as_of_day
from opslab.core.problems import OpsLabError, Problem
from opslab.dataset.dataset import Dataset
from opslab.metrics import segments

__all__ = ["Result", "dataset_of"]


@dataclass(frozen=True)
class Result:
    """A table result: ``frame``, ``problems``, ``config``, ``as_of``."""

    frame: pd.DataFrame
    problems: tuple[Problem, ...] = ()
    config: Any = None
    as_of: dt.date | None = None

    # These functions returned the bare frame before; reading the result as that frame keeps
    # working for one release, with a DeprecationWarning.
    def __getattr__(self, name: str):
        if name.startswith("__") or name in {f.name for f in dataclasses.fields(self)}:
            raise AttributeError(name)
        deprecated(f"reading {type(self).__name__} as a DataFrame (.{name})", ".frame")
        return getattr(self.frame, name)

    def __getitem__(self, key):
        deprecated(f"{type(self).__name__}[...]", ".frame[...]")
        return self.frame[key]

    def __len__(self) -> int:
        return len(self.frame)


def dataset_of(ds, segment=None) -> Dataset:
    """The Dataset behind ``ds`` (a Dataset, or a LoadResult with one); limited to the users of
    ``segment`` when given (a :class:`~opslab.metrics.segments.Segment`, ``{dimension: values}``
    rules or a list of user ids; every analysis takes ``segment=``)."""
    if segment is not None:
        return segments.apply(dataset_of(ds), segment)
    if isinstance(ds, Dataset):
        return ds
    inner = getattr(ds, "dataset", None)
    if isinstance(inner, Dataset):
        return inner
    if inner is None and hasattr(ds, "dataset"):
        raise OpsLabError("api.no_dataset")
    raise TypeError(f"expected a Dataset or the result of opslab.load, not {type(ds).__name__}")


def need_buyers(data: Dataset, analysis: str) -> None:
    """Analyses that follow customers cannot run on orders whose buyers are unknown
    (``ds.buyers_known`` False): an ``OpsLabError`` saying so, never figures counted from the
    anonymous per-order users."""
    if not getattr(data, "buyers_known", True):
        raise OpsLabError("api.no_buyers", analysis=analysis)


def settings_config(cls, config, named: Mapping[str, Any], renamed: Mapping[str, str] = {}):
    """``config`` (or the class's defaults) with the settings given by name filled in.

    A name the config sets to something else raises ValueError: nothing overrides silently.
    ``renamed`` maps a public name (``horizon_days``) to the config's field (``horizon``).
    """
    if config is not None and not isinstance(config, cls):
        raise TypeError(f"config must be a {cls.__name__}, not {type(config).__name__}")
    base = config if config is not None else cls()
    given = {renamed.get(k, k): v for k, v in named.items() if v is not None}
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(given) - fields)
    if unknown:
        raise TypeError(f"unknown setting(s) for {cls.__name__}: {', '.join(unknown)}")
    if config is not None:
        clash = sorted(k for k, v in given.items() if getattr(config, k) != v
                       and getattr(config, k) != getattr(cls(), k))
        if clash:
            raise ValueError(f"{', '.join(clash)} given twice (in config and by name) with different values")
    return dataclasses.replace(base, **given)


def day_of(ds: Dataset, as_of) -> dt.date:
    """The as-of day (default: the data's last day); text that is no date is an OpsLabError."""
    try:
        return as_of_day(as_of, ds.end)
    except (ValueError, TypeError, OverflowError) as err:  # pandas' DateParseError is a ValueError
        raise OpsLabError("api.bad_as_of", value=repr(as_of)[:80]) from err


def known_events(data: Dataset, names: Sequence) -> None:
    """Event names (or funnel steps with an ``event``) that never occur in the data are an
    OpsLabError naming them and the data's own events, never an analysis of nobody. ``data``:
    the whole data set (a segment may lack an event the data has)."""
    wanted = [str(getattr(n, "event", n)) for n in names]
    known = event_names(data)["event_name"].astype(str).tolist()
    unknown = [n for n in dict.fromkeys(wanted) if n not in set(known)]
    if unknown:
        raise OpsLabError("api.unknown_events", events=", ".join(unknown), known=", ".join(known[:12]))


def checked_assignment(assignment) -> pd.DataFrame:
    """An A/B assignment must be a table with ``user_id`` and ``variant`` columns: otherwise an
    OpsLabError naming the columns it has (pandas' KeyError never reaches the caller)."""
    if not isinstance(assignment, pd.DataFrame):
        raise OpsLabError("api.assignment_columns", columns=type(assignment).__name__)
    if not {"user_id", "variant"} <= set(map(str, assignment.columns)):
        raise OpsLabError("api.assignment_columns", columns=", ".join(map(str, assignment.columns[:12])) or "-")
    return assignment


def deprecated(old: str, new: str) -> None:
    warnings.warn(f"{old} is deprecated; use {new}", DeprecationWarning, stacklevel=3)


def positional(fn: str, old: tuple, names: Sequence[str], given: dict) -> dict:
    """Settings passed by position in the old signatures, by name (with a DeprecationWarning)."""
    if not old:
        return given
    if len(old) > len(names):
        raise TypeError(f"{fn}() takes at most {len(names)} old positional settings")
    warnings.warn(f"{fn}(): pass {', '.join(names[:len(old)])} by name", DeprecationWarning, stacklevel=3)
    out = dict(given)
    for name, value in zip(names, old):
        if name in out:
            raise TypeError(f"{fn}() got {name} twice")
        out[name] = value
    return out

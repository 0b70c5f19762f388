"""Seeded, vectorised generator of a realistic product-operations data set (docs/DEFINITIONS.md §2).

A Chinese e-commerce app: users sign up through channels (抖音, 微信, ...) in tiered cities,
live through a latent engagement that drifts day by day, buy with a heterogeneous spend level,
and react to the calendar (weekends, 春节, 618, 双11, 双12) and to campaigns. The simulation
loops over days with numpy arrays over users, so 10M events take seconds, not minutes. The
structure the analyses should find is documented in ``sample_data/README.md``.

Modules: :mod:`~opslab.synth.world` (the config and the market's parameters),
:mod:`~opslab.synth.seasons` (festival multipliers and the campaign plan),
:mod:`~opslab.synth.simulate` (:func:`generate`: the day loop),
:mod:`~opslab.synth.experiment` (checkout step and the planted A/B test),
:mod:`~opslab.synth.tables` (sessions to the four tables, CSV files), :mod:`~opslab.synth.cli`.

Example
-------
>>> data = generate(SynthConfig(n_users=200, months=2, seed=1))
>>> sorted(data.events["event_name"].unique())[:3]
['add_to_cart', 'checkout', 'purchase']
>>> bool(data.orders["user_id"].isin(data.users["user_id"]).all())
True
"""

from __future__ import annotations

from opslab.synth.cli import main
from opslab.synth.simulate import generate
from opslab.synth.tables import SynthData
from opslab.synth.world import (CHANNEL_REACH, CHANNELS, CITY_TIERS, EVENT_NAMES, EXPERIMENT_DAYS, TYPE_EFFECT,
                                VARIANTS, SynthConfig, users_for_events)

__all__ = ["CHANNEL_REACH", "CHANNELS", "CITY_TIERS", "EVENT_NAMES", "EXPERIMENT_DAYS", "TYPE_EFFECT", "VARIANTS",
           "SynthConfig", "SynthData", "generate", "main", "users_for_events"]

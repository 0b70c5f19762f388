"""``python -m opslab.synth --users 3000 --out sample_data`` (see :mod:`opslab.synth.cli`)."""

from opslab.synth.cli import main

main()

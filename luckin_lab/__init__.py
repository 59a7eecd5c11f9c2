"""luckin-lab: research workspace and report factory of Luckin Coffee USA's data-science team.

Analyses read raw tables only through :mod:`luckin_lab.sources`, which validates every
table against its contract in ``data_contracts/``.
"""

__version__ = "0.1.0"

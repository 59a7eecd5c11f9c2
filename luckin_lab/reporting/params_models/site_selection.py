"""Parameters of the site-selection report (notebooks/site_selection.ipynb).

The analysis settings are defined once, in :class:`luckin_lab.sites.analysis.SiteSettings`;
the report needs nothing more.
"""

from __future__ import annotations

from luckin_lab.reporting.params import ReportParams
from luckin_lab.sites.analysis import SiteSettings


class Params(ReportParams, SiteSettings):
    pass

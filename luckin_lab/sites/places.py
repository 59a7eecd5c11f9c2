"""Names readers know for candidate sites: the New York neighbourhood a site stands in.

The expansion platform names candidates "Brooklyn site 14" (code S014); an executive knows
"East Flatbush". When a candidate's own name is only such a placeholder, it is named after
the nearest neighbourhood centre below (approximate centroids of NYC neighbourhoods), with
"west" / "east" added when two candidates share one. Codes stay in the appendix tables.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from luckin_lab.geo import distance_km

# (neighbourhood, borough, lat, lon): approximate centres, enough to name a site's area
NEIGHBOURHOODS: list[tuple[str, str, float, float]] = [
    ("Financial District", "Manhattan", 40.7075, -74.0113), ("Battery Park City", "Manhattan", 40.7112, -74.0160),
    ("Lower East Side", "Manhattan", 40.7150, -73.9843), ("East Village", "Manhattan", 40.7265, -73.9815),
    ("Stuyvesant Town", "Manhattan", 40.7316, -73.9778), ("Murray Hill", "Manhattan", 40.7479, -73.9757),
    ("Turtle Bay", "Manhattan", 40.7527, -73.9680), ("Upper East Side", "Manhattan", 40.7736, -73.9566),
    ("Upper West Side", "Manhattan", 40.7870, -73.9754), ("Morningside Heights", "Manhattan", 40.8100, -73.9620),
    ("Harlem", "Manhattan", 40.8116, -73.9465), ("East Harlem", "Manhattan", 40.7957, -73.9389),
    ("Hamilton Heights", "Manhattan", 40.8241, -73.9496), ("Washington Heights", "Manhattan", 40.8417, -73.9394),
    ("Midwood", "Brooklyn", 40.6204, -73.9600), ("Flatlands", "Brooklyn", 40.6232, -73.9322),
    ("Borough Park", "Brooklyn", 40.6338, -73.9936), ("Kensington", "Brooklyn", 40.6393, -73.9730),
    ("Ditmas Park", "Brooklyn", 40.6363, -73.9620), ("Flatbush", "Brooklyn", 40.6414, -73.9591),
    ("East Flatbush", "Brooklyn", 40.6480, -73.9300), ("Sunset Park", "Brooklyn", 40.6455, -74.0124),
    ("Greenwood Heights", "Brooklyn", 40.6580, -73.9990), ("Prospect Lefferts Gardens", "Brooklyn", 40.6590, -73.9500),
    ("Crown Heights", "Brooklyn", 40.6694, -73.9422), ("Brownsville", "Brooklyn", 40.6630, -73.9100),
    ("Ocean Hill", "Brooklyn", 40.6780, -73.9080), ("East New York", "Brooklyn", 40.6660, -73.8820),
    ("Gowanus", "Brooklyn", 40.6733, -73.9900), ("Carroll Gardens", "Brooklyn", 40.6795, -73.9991),
    ("Bushwick", "Brooklyn", 40.6944, -73.9213), ("Bedford-Stuyvesant", "Brooklyn", 40.6872, -73.9418),
    ("Glendale", "Queens", 40.7016, -73.8810), ("Jamaica", "Queens", 40.7027, -73.7890),
    ("Briarwood", "Queens", 40.7110, -73.8150), ("Middle Village", "Queens", 40.7165, -73.8810),
    ("Rego Park", "Queens", 40.7262, -73.8570), ("Forest Hills", "Queens", 40.7196, -73.8448),
    ("Kew Gardens Hills", "Queens", 40.7300, -73.8230), ("Elmhurst", "Queens", 40.7380, -73.8780),
    ("Sunnyside", "Queens", 40.7400, -73.9200), ("Woodside", "Queens", 40.7454, -73.9027),
    ("Jackson Heights", "Queens", 40.7557, -73.8831), ("Queensboro Hill", "Queens", 40.7450, -73.8220),
    ("Flushing", "Queens", 40.7600, -73.8300), ("Astoria", "Queens", 40.7644, -73.9235),
    ("East Elmhurst", "Queens", 40.7620, -73.8700), ("JFK Airport", "JFK Airport", 40.6413, -73.7781),
]
_PLACEHOLDER = re.compile(r"^\s*(manhattan|brooklyn|queens|bronx|staten island|jfk airport)\s+site\s+\d+\s*$", re.I)


def nearest_neighbourhood(lat: float, lon: float, borough: str | None = None) -> str:
    """The neighbourhood whose centre is nearest (within the site's borough when listed)."""
    table = pd.DataFrame(NEIGHBOURHOODS, columns=["name", "borough", "lat", "lon"])
    if borough is not None and (table.borough == borough).any():
        table = table[table.borough == borough]
    d = distance_km(np.array([lat]), np.array([lon]), table.lat.to_numpy(), table.lon.to_numpy())[0]
    return str(table.name.iloc[int(np.argmin(d))])


def site_labels(candidates: pd.DataFrame) -> pd.Series:
    """A reader's name per candidate (index aligned): its own name, or its neighbourhood.

    Two candidates in one neighbourhood are told apart by compass side (west / east, or
    west / centre / east); more than three get numbers. Names are unique.
    """
    base = pd.Series([
        name if not _PLACEHOLDER.match(str(name)) else nearest_neighbourhood(lat, lon, borough)
        for name, lat, lon, borough in zip(candidates.site_name, candidates.lat, candidates.lon,
                                           candidates.borough, strict=True)
    ], index=candidates.index)
    out = base.copy()
    for name, idx in base.groupby(base).groups.items():
        if len(idx) == 1:
            continue
        order = candidates.loc[idx].sort_values("lon").index
        sides = {2: ["west", "east"], 3: ["west", "centre", "east"]}.get(len(idx))
        for k, i in enumerate(order):
            out[i] = f"{name} {sides[k]}" if sides else f"{name} {k + 1}"
    if out.duplicated().any():  # a given name equal to a derived one: fall back to the code
        dup = out.duplicated(keep=False)
        out[dup] = out[dup] + " (" + candidates.site_id[dup].astype(str) + ")"
    return out

"""Coupon uplift: who should get which coupon, if any, and what that is worth (UC-MK-03).

``data`` builds one row per randomized unit (from the store's campaign tables or from any
table under the generic experiment contract); ``effects`` gives average arm effects and the
randomization check; ``learners`` fits causalml uplift models; ``evaluation`` scores them on
held-out units; ``policy`` turns predictions into offers under a budget; ``analysis`` holds
the estimator (``UpliftAnalysis(settings).fit(data)`` once, ``decide(monthly_budget=...)`` per
budget, no refit); ``truth_eval`` is the
only module that reads the demo store's planted truth; ``simulate`` makes synthetic
experiments with known effects for tests and benchmarks.
"""

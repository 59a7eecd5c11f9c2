"""Site selection with cannibalization (UC-EX-02, ramp-up from UC-OP-06).

``data`` loads the analysis-grain arrays through the store; ``huff`` fits the spatial
store-choice model; ``scoring`` turns it into standalone revenue, cannibalization and net
gain per candidate; ``revenue_model`` gives honest (spatially cross-validated) accuracy and
conformal intervals; ``ramp`` separates grand-opening effects and decomposes the flagship's
decline; ``portfolio`` picks the sites with OR-Tools; ``sensitivity`` re-decides under other
distance decays; ``analysis`` holds the estimator (``SiteAnalysis(settings).fit(data)``, then
``decide(k_sites=...)`` without refitting); ``maps`` draws the charts; ``report`` writes results/.
Only ``truth_eval`` reads planted truth.
"""

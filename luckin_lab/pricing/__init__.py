"""Price elasticity and pricing (UC-PR-03, margins from UC-PR-01).

The flow: a demand panel (from the store's raw tables, or any panel meeting the generic
``generic_price_demand`` contract) -> naive, 2SLS, DML and Poisson IV elasticity estimates -> price
recommendations within guard rails -> projections with uncertainty. Every estimator works on
the same panel columns, so a pricing analyst's panel from elsewhere runs unchanged.

``analysis.PricingAnalysis(settings).fit(store)`` runs the costly part once; ``decide(**guard
rails)`` re-solves the menu (no re-estimation). The report and the explorer use that one object.
"""

"""Customers: who is at risk of leaving, what each customer is worth, and who to win back
(catalog UC-MK-02 churn and win-back, UC-MK-05 lifetime value, on the UC-MK-01 profile)."""

"""Fitted models: churn risk, customer lifetime value, KPI forecasts, campaign response."""

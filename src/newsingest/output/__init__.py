"""Outputs of a dedup run, one module per format: report, review page, kept copies, explanations."""

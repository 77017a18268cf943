"""The report queries, one module per report; reporting.selectors is their public face."""

"""The routing lab: replay recorded decisions through draft rules, and A/B test strategies on live traffic."""

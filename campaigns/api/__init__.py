"""The lead market's REST API: supplier intake and lead reads."""

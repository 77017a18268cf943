"""Selling leads to buyers: ping tree, ping-post auction and weighted delivery over HTTP, with returns.

Pure parts: filters (matching), pricing (price rules), ranking (orders and weighted pick), requests (bodies,
headers, masking). HTTP: delivery. Writes: services (and the modules it re-exports). Reads: selectors.
"""

"""Readers of other trackers' stores, so their history can be imported into litetrack."""

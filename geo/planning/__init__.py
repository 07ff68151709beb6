"""Patrol planning: forecast, Koper-style allocation, compliance, exports and briefing."""

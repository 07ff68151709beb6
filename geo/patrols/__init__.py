"""Patrol dosage: time and visits inside hotspots from GPS pings, its summaries, and the
synthetic demonstration patrols."""

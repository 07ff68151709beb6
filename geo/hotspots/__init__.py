"""Where incidents concentrate: DBSCAN hotspots, their names, Gi*, KDE, concentration,
change between periods and peak times."""

"""ASB hotspot analysis library: police.uk ingestion, DBSCAN hotspots, patrol coverage, impact.

Importable without Streamlit. Distances are metres, times are tz-aware ``Europe/London``,
and every CRS is named by its EPSG code (see :mod:`geo.schema`).
"""

__version__ = "0.1.0"

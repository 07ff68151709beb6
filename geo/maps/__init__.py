"""folium maps that work offline: base map and assets, layers, and the page maps."""

"""Reading and writing: police.uk and mapped exports, patrol pings, polygons, the store."""

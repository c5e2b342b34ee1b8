"""Places: offline reverse geocoding and the place record the catalog stores for a photo."""

from smartalbum.places.geocoding import (
    City,
    Geocoder,
    Names,
    Place,
    geocoder,
    haversine_km,
    hemisphere,
    valid_coordinates,
)

__all__ = [
    "City",
    "Geocoder",
    "Names",
    "Place",
    "geocoder",
    "haversine_km",
    "hemisphere",
    "valid_coordinates",
]

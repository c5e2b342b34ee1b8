"""A generated library for the sentence-search tests: real sample photos with known EXIF.

"Today" is Sunday 15 March 2026. Home is Beijing (cats, a pug). Last winter (2025–26):
skiing in Hokkaido, a church in Tokyo, skiing in Zermatt; the winter before, one ski
day in Sapporo. Winter in the south in July 2025 (Queenstown), summer there at
Christmas (a dog on Sydney's beach) and in January 2025. A dog on the beach in Nice
in July 2024, Istanbul in April 2024, Florence in October 2023, a daisy without GPS, and
a June day in Beijing in 2022: a fountain at sunset, a restaurant at night, an umbrella in
the morning.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from smartalbum.settings import Settings
from tests.helpers import SAMPLES
from tests.moments_library import BEIJING, NISEKO, SAPPORO, SYDNEY, TOKYO, Shot

TODAY = date(2026, 3, 15)

ZERMATT = (46.0244, 7.7477)
QUEENSTOWN = (-45.0326, 168.6580)
NICE = (43.7031, 7.2661)
FLORENCE = (43.7696, 11.2558)
ISTANBUL = (41.0138, 28.9497)

TABBY, EGYPTIAN, PUG = "n02123045_tabby", "n02124075_Egyptian_cat", "n02110958_pug"
SKI, ALP, DOGSLED = "n04228054_ski", "n09193705_alp", "n03218198_dogsled"
CHURCH = "n03028079_church"
LAKESIDE, SEASHORE, SANDBAR = "n09332890_lakeside", "n09428293_seashore", "n09421951_sandbar"
GOLDEN, LABRADOR = "n02099601_golden_retriever", "n02099712_Labrador_retriever"
PIZZA, MOSQUE, ICE_CREAM, DAISY = (
    "n07873807_pizza",
    "n03788195_mosque",
    "n07614500_ice_cream",
    "n11939491_daisy",
)

FOUNTAIN, RESTAURANT, UMBRELLA = (
    "n03388043_fountain",
    "n04081281_restaurant",
    "n04507155_umbrella",
)

SHOTS = [
    Shot("b-cat-1", TABBY, "", "2026-02-14 10:00", "+08:00", BEIJING),
    Shot("b-cat-2", EGYPTIAN, "", "2026-03-07 11:00", "+08:00", BEIJING),
    Shot("b-cat-3", TABBY, "mirror", "2026-03-14 18:00", "+08:00", BEIJING),
    Shot("b-pug", PUG, "", "2025-10-02 09:00", "+08:00", BEIJING),
    Shot("jp-ski-1", SKI, "", "2026-01-10 10:00", "+09:00", SAPPORO),
    Shot("jp-ski-2", SKI, "crop", "2026-01-11 11:00", "+09:00", NISEKO),
    Shot("jp-alp", ALP, "", "2026-01-11 15:00", "+09:00", NISEKO),
    Shot("jp-dogsled", DOGSLED, "", "2026-01-12 10:00", "+09:00", NISEKO),
    Shot("jp-tokyo-church", CHURCH, "", "2026-01-14 10:00", "+09:00", TOKYO),
    Shot("jp-old-ski", SKI, "mirror", "2025-01-20 10:00", "+09:00", SAPPORO),
    Shot("ch-ski", SKI, "mirror", "2026-02-05 10:00", "+01:00", ZERMATT),
    Shot("ch-alp", ALP, "mirror", "2026-02-05 14:00", "+01:00", ZERMATT),
    Shot("nz-ski", SKI, "crop", "2025-07-15 10:00", "+12:00", QUEENSTOWN),
    Shot("nz-lake", LAKESIDE, "", "2025-07-16 10:00", "+12:00", QUEENSTOWN),
    Shot("au-beach-1", SEASHORE, "", "2025-12-28 09:00", "+11:00", SYDNEY),
    Shot("au-beach-2", SANDBAR, "", "2025-12-28 11:00", "+11:00", SYDNEY),
    Shot("au-dog", GOLDEN, "", "2025-12-28 12:00", "+11:00", SYDNEY),
    Shot("au-jan-beach", SEASHORE, "crop", "2025-01-25 10:00", "+11:00", SYDNEY),
    Shot("fr-beach", SEASHORE, "mirror", "2024-07-20 10:00", "+02:00", NICE),
    Shot("fr-dog", LABRADOR, "", "2024-07-20 12:00", "+02:00", NICE),
    Shot("it-pizza", PIZZA, "", "2023-10-03 13:00", "+02:00", FLORENCE),
    Shot("it-church", CHURCH, "mirror", "2023-10-05 10:00", "+02:00", FLORENCE),
    Shot("tr-mosque", MOSQUE, "", "2024-04-12 10:00", "+03:00", ISTANBUL),
    Shot("tr-ice-cream", ICE_CREAM, "", "2024-04-12 15:00", "+03:00", ISTANBUL),
    Shot("nogps-daisy", DAISY, "", "2025-05-01 10:00", "+08:00", None),
    # A June day in Beijing, 2022: the sun sets at 19:46 there.
    Shot("b-sunset", FOUNTAIN, "", "2022-06-15 19:40", "+08:00", BEIJING),
    Shot("b-night", RESTAURANT, "", "2022-06-15 22:30", "+08:00", BEIJING),
    Shot("b-morning", UMBRELLA, "", "2022-06-16 07:30", "+08:00", BEIJING),
]


def build_library(settings: Settings, base: Path) -> tuple[Path, dict[str, int]]:
    """Write the shots under ``base`` and index them with the real model: (catalog, ids)."""
    from tests.moments_library import index_library, write_library

    write_library(base / "photos", SAMPLES, SHOTS)
    catalog = base / "library.db"
    return catalog, index_library(base / "photos", catalog, settings, SHOTS)

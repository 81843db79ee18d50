"""Postcodes and kommuner for the demo data: where citizens live and employers sit, with distances."""

import csv
from dataclasses import dataclass
from pathlib import Path

from core.geography import great_circle_km

CORE_DATA = Path(__file__).resolve().parents[1] / "core" / "data"
EMPLOYER_RADIUS_KM = 40.0
OWN_KOMMUNE_EMPLOYER_SHARE = 0.65

# Kommuner whose postcodes are all shared with (and in postcodes.csv assigned to) a neighbour:
# PostNord lists these postcodes for them too.
SHARED_POSTCODES: dict[int, tuple[str, ...]] = {
    163: ("2730", "2740", "2880"),
    165: ("2600", "2620", "2750"),
    167: ("2610", "2650", "2660"),
    175: ("2610",),
    185: ("2300", "2770", "2791"),
    340: ("4100", "4173", "4180", "4190", "4200", "4291", "4293", "4295", "4296", "4370"),
}


@dataclass(frozen=True)
class Postcode:
    code: str
    name: str
    kommune_code: int
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Kommune:
    code: int
    name: str
    short_name: str
    region: str


@dataclass(frozen=True)
class WeightedPostcodes:
    """Postcodes with cumulative weights, for `random.Random.choices(..., cum_weights=...)`."""

    postcodes: tuple[Postcode, ...]
    cum_weights: tuple[float, ...]


class Geography:
    """Postcodes and kommuner from core/data, with the pools citizens and employers are drawn from."""

    def __init__(self, data_dir: Path = CORE_DATA) -> None:
        with open(data_dir / "postcodes.csv", encoding="utf-8", newline="") as handle:
            self.postcodes: tuple[Postcode, ...] = tuple(
                Postcode(row["postcode"], row["name"], int(row["kommune_code"]), float(row["latitude"]),
                         float(row["longitude"]))
                for row in csv.DictReader(handle)
            )
        with open(data_dir / "kommuner.csv", encoding="utf-8", newline="") as handle:
            self.kommuner: dict[int, Kommune] = {
                int(row["code"]): Kommune(
                    int(row["code"]), row["name"], row["name"].removesuffix(" Kommune"), row["region"]
                )
                for row in csv.DictReader(handle)
            }
        self.by_code: dict[str, Postcode] = {postcode.code: postcode for postcode in self.postcodes}

    def kommune_postcodes(self, kommune_code: int) -> tuple[Postcode, ...]:
        """The postcodes of a kommune (shared postcodes for the few kommuner that have none of their own)."""
        own = tuple(postcode for postcode in self.postcodes if postcode.kommune_code == kommune_code)
        if own:
            return own
        return tuple(self.by_code[code] for code in SHARED_POSTCODES.get(kommune_code, ()) if code in self.by_code)

    def centre(self, kommune_code: int) -> tuple[float, float]:
        """Mean position of the kommune's postcodes."""
        points = self.kommune_postcodes(kommune_code)
        return (sum(p.latitude for p in points) / len(points), sum(p.longitude for p in points) / len(points))

    @staticmethod
    def _weights(postcodes: tuple[Postcode, ...]) -> list[float]:
        # Central Copenhagen and Frederiksberg have hundreds of street-level postcodes under one name;
        # weight each named area equally rather than each postcode.
        per_name: dict[str, int] = {}
        for postcode in postcodes:
            per_name[postcode.name] = per_name.get(postcode.name, 0) + 1
        return [1.0 / per_name[postcode.name] for postcode in postcodes]

    def citizen_pool(self, kommune_code: int) -> WeightedPostcodes:
        """Where the jobcentre's citizens live: its kommune's postcodes, each named area weighted equally."""
        postcodes = self.kommune_postcodes(kommune_code)
        return _cumulative(postcodes, self._weights(postcodes))

    def employer_pool(self, kommune_code: int) -> WeightedPostcodes:
        """Where the jobcentre's employers sit: mostly its own kommune, the rest within ~40 km, nearer likelier."""
        own = self.kommune_postcodes(kommune_code)
        own_codes = {postcode.code for postcode in own}
        lat, lon = self.centre(kommune_code)
        near = tuple(
            postcode for postcode in self.postcodes
            if postcode.code not in own_codes
            and great_circle_km(lat, lon, postcode.latitude, postcode.longitude) <= EMPLOYER_RADIUS_KM
        )
        own_weights = self._weights(own)
        if not near:
            return _cumulative(own, own_weights)
        own_total = sum(own_weights)
        near_raw = [
            weight / (1.0 + great_circle_km(lat, lon, postcode.latitude, postcode.longitude) / 10.0)
            for postcode, weight in zip(near, self._weights(near), strict=True)
        ]
        near_total = sum(near_raw)
        weights = [w * OWN_KOMMUNE_EMPLOYER_SHARE / own_total for w in own_weights] + [
            w * (1 - OWN_KOMMUNE_EMPLOYER_SHARE) / near_total for w in near_raw
        ]
        return _cumulative(own + near, weights)


def _cumulative(postcodes: tuple[Postcode, ...], weights: list[float]) -> WeightedPostcodes:
    total = 0.0
    cumulative = []
    for weight in weights:
        total += weight
        cumulative.append(total)
    return WeightedPostcodes(postcodes, tuple(cumulative))


__all__ = ["Geography", "Kommune", "Postcode", "WeightedPostcodes", "great_circle_km"]

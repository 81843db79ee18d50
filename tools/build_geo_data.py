"""Build core/data/{kommuner,postcodes}.csv from ../shared/data/geo (run once after the source changes).

Kommuner come from PostNord's postcode file; Christiansø (411) is not a kommune and has no jobcentre.
A postcode that spans several kommuner is assigned to the kommune listed for most of its rows.
Coordinates are DAWA's visual centre of the postcode area (ODbL, see core/data/ATTRIBUTION.md). For some
west-coast postcodes whose area reaches far into the North Sea that centre lies at sea (west of Blåvandshuk,
Denmark's westernmost point at 8.07°E); those get the mean position of their kommune's other postcodes.
"""

import collections
import csv
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GEO = ROOT.parent / "shared" / "data" / "geo"
OUT = ROOT / "core" / "data"
NOT_A_KOMMUNE = {"411"}
WESTERNMOST_LONGITUDE = 8.07
# Kommuner whose every postcode centre lies at sea: the town centre instead (Nordby, Fanø).
TOWN_CENTRES = {"563": (55.4447, 8.4031)}


def main() -> None:
    with open(GEO / "postnord_regionsopdelt_postnummer_2018.csv", encoding="utf-8-sig") as handle:
        source_rows = list(csv.DictReader(handle, delimiter=";"))
    kommuner: dict[str, tuple[str, str]] = {}
    kommuner_by_postcode: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for source_row in source_rows:
        code = source_row["KOMMUNE_NR"]
        if code in NOT_A_KOMMUNE:
            continue
        kommuner[code] = (source_row["ADRESSERINGSNAVN_1"], source_row["ADRESSERINGSNAVN"])
        kommuner_by_postcode[source_row["POSTNR"].zfill(4)][code] += 1
    coordinates = json.loads((GEO / "countrystatecity_DK_postcodes_latlon.json").read_text(encoding="utf-8"))

    with open(OUT / "kommuner.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "name", "region"])
        for code, (name, region) in sorted(kommuner.items(), key=lambda item: int(item[0])):
            writer.writerow([code, name, region])

    rows: list[list[Any]] = []
    for entry in sorted(coordinates, key=lambda item: item["code"]):
        postcode = entry["code"].zfill(4)
        counts = kommuner_by_postcode.get(postcode)
        if counts:
            kommune_code = counts.most_common(1)[0][0]
            rows.append([postcode, entry["localityName"], kommune_code, entry["latitude"], entry["longitude"]])
    on_land: dict[str, list[tuple[float, float]]] = collections.defaultdict(list)
    for row in rows:
        if row[4] >= WESTERNMOST_LONGITUDE:
            on_land[row[2]].append((row[3], row[4]))
    moved = 0
    for row in rows:
        if row[4] < WESTERNMOST_LONGITUDE:
            points = on_land[row[2]] or [TOWN_CENTRES[row[2]]]
            row[3] = sum(lat for lat, _ in points) / len(points)
            row[4] = sum(lon for _, lon in points) / len(points)
            moved += 1
    with open(OUT / "postcodes.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["postcode", "name", "kommune_code", "latitude", "longitude"])
        for postcode, name, kommune_code, latitude, longitude in rows:
            writer.writerow([postcode, name, kommune_code, round(latitude, 6), round(longitude, 6)])
    print(f"{len(kommuner)} kommuner, {len(rows)} postcodes ({moved} moved ashore)", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Build core/data/{kommuner,postcodes}.csv from ../shared/data/geo (run once after the source changes).

Kommuner come from PostNord's postcode file; Christiansø (411) is not a kommune and has no jobcentre.
A postcode that spans several kommuner is assigned to the kommune listed for most of its rows.
Coordinates are DAWA's visual centre of the postcode area (ODbL, see core/data/ATTRIBUTION.md).
"""

import collections
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GEO = ROOT.parent / "shared" / "data" / "geo"
OUT = ROOT / "core" / "data"
NOT_A_KOMMUNE = {"411"}


def main() -> None:
    with open(GEO / "postnord_regionsopdelt_postnummer_2018.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    kommuner: dict[str, tuple[str, str]] = {}
    kommuner_by_postcode: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for row in rows:
        code = row["KOMMUNE_NR"]
        if code in NOT_A_KOMMUNE:
            continue
        kommuner[code] = (row["ADRESSERINGSNAVN_1"], row["ADRESSERINGSNAVN"])
        kommuner_by_postcode[row["POSTNR"].zfill(4)][code] += 1
    coordinates = json.loads((GEO / "countrystatecity_DK_postcodes_latlon.json").read_text(encoding="utf-8"))

    with open(OUT / "kommuner.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "name", "region"])
        for code, (name, region) in sorted(kommuner.items(), key=lambda item: int(item[0])):
            writer.writerow([code, name, region])

    written = 0
    with open(OUT / "postcodes.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["postcode", "name", "kommune_code", "latitude", "longitude"])
        for entry in sorted(coordinates, key=lambda item: item["code"]):
            postcode = entry["code"].zfill(4)
            counts = kommuner_by_postcode.get(postcode)
            if not counts:
                continue
            kommune_code = counts.most_common(1)[0][0]
            writer.writerow([postcode, entry["localityName"], kommune_code,
                             round(entry["latitude"], 6), round(entry["longitude"], 6)])
            written += 1
    print(f"{len(kommuner)} kommuner, {written} postcodes", file=sys.stderr)


if __name__ == "__main__":
    main()

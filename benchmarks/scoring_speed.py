"""Scoring speed: features and model score for 1,000,000 candidate pairs (2,000 citizens × 500 placements),
as the weekly batch or an audit scores them, on 2 cores.

    .venv/bin/python benchmarks/scoring_speed.py [--citizens 2000 --placements 500 --workers 2 --repeat 5]

Profiles are synthetic but shaped like the demo data: ~3,000 ESCO skill URIs, 400 ISCO-08 unit groups,
citizens with 10–40 skills, 0–3 occupations and wishes, placements with 3–8 skills (70% essential),
384-dimensional unit text vectors, needs, offers and hours. Times (best of --repeat, after one warm-up):
encoding the profiles into arrays, the scheme choice, the feature matrix (`matching.vectorised`), and
the packaged default model's score (`scoring.model`); pairs are split over --workers threads (NumPy
releases the GIL in the heavy loops). The process is pinned to --cores CPUs where the machine has more.
"""

import argparse
import datetime as dt
import itertools
import json
import os
import random
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.vocab import SCHEMES_BY_TARGET_GROUP, Need, Scheme, TargetGroup  # noqa: E402
from matching import vectorised  # noqa: E402
from matching.profiles import CitizenProfile, Placement, Skill  # noqa: E402
from scoring.model import RankingModel  # noqa: E402
from scoring.service import DEFAULT_MODEL_PATH  # noqa: E402

TODAY = dt.date(2026, 3, 2)
DIMS = 384


def _unit(rng: np.random.Generator) -> np.ndarray:
    vector = rng.standard_normal(DIMS).astype(np.float32)
    unit: np.ndarray = vector / np.linalg.norm(vector)
    return unit


def world(citizens: int, placements: int, seed: int = 1) -> tuple[list[CitizenProfile], list[Placement]]:
    rng = random.Random(seed)
    vectors = np.random.default_rng(seed)
    skills = [f"http://data.europa.eu/esco/skill/{index:05d}" for index in range(3000)]
    groups = [f"{rng.randint(1, 9)}{rng.randint(0, 9)}{rng.randint(0, 9)}{rng.randint(0, 9)}" for _ in range(400)]
    occupations = {f"http://data.europa.eu/esco/occupation/{index:05d}": rng.choice(groups) for index in range(2000)}
    occupation_uris = sorted(occupations)
    industries = [f"{rng.randint(10, 99)}{rng.randint(1000, 9999)}" for _ in range(80)]
    people = []
    for _ in range(citizens):
        group = rng.choice(list(TargetGroup))
        worked = rng.sample(occupation_uris, rng.randint(0, 3))
        wished = rng.sample(occupation_uris, rng.randint(0, 2))
        people.append(CitizenProfile(
            id=uuid.UUID(int=rng.getrandbits(128)), jobcentre_code=101, reference="r", target_group=group,
            postcode="2650", latitude=55.4 + rng.random() * 0.6, longitude=12.0 + rng.random() * 0.8,
            max_commute_km=rng.choice([10, 20, 30, 45]), hours_min=rng.randint(5, 25), hours_max=rng.randint(25, 37),
            active=True, schemes=frozenset(SCHEMES_BY_TARGET_GROUP[group]), limitations=frozenset(),
            needs=frozenset(rng.sample(list(Need), rng.randint(0, 2))),
            skill_uris=frozenset(rng.sample(skills, rng.randint(10, 40))),
            skill_texts=frozenset({"truckcertifikat"} if rng.random() < 0.1 else set()),
            occupations={uri: occupations[uri] for uri in worked},
            wished_occupations={uri: occupations[uri] for uri in wished},
            wished_industries=frozenset(rng.sample(industries, rng.randint(0, 2))), has_profile=True,
            vector=_unit(vectors), updated_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))
    places = []
    for _ in range(placements):
        posted = rng.random() < 0.88
        occupation = rng.choice(occupation_uris) if posted else None
        places.append(Placement(
            employer_id=uuid.UUID(int=rng.getrandbits(128)), employer_name="E",
            opening_id=uuid.UUID(int=rng.getrandbits(128)) if posted else None, title="T",
            schemes=frozenset(rng.sample(list(Scheme), rng.randint(1, 3))), postcode="2650", city="C",
            latitude=55.4 + rng.random() * 0.6, longitude=12.0 + rng.random() * 0.8,
            hours_min=rng.randint(8, 30) if posted else None, hours_max=37 if posted else None,
            physical_demands="medium", work_conditions=frozenset(), occupation_uri=occupation,
            occupation_isco=occupations.get(occupation or ""),
            skills=tuple(Skill(uri=rng.choice(skills), label=f"skill {index}", essential=rng.random() < 0.7)
                         for index in range(rng.randint(3, 8))) if posted else (),
            status="open", expires_on=None, start_date=None, employer_status="active", employer_paused_until=None,
            employer_available_from=None, free_slots=rng.randint(1, 4),
            offers=frozenset(rng.sample([need.value for need in Need], rng.randint(0, 3))),
            employer_industry=rng.choice(industries), past_placements=(past := rng.randint(0, 40)),
            past_successes=rng.randint(0, past), others_open_suggestions=rng.randint(0, 6),
            changed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=rng.randint(0, 60)),
            opening_vector=_unit(vectors) if posted else None, employer_vector=_unit(vectors),
            employer_isco_groups=frozenset(rng.sample(groups, 2)) if not posted else frozenset()))
    return people, places


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--citizens", type=int, default=2000)
    parser.add_argument("--placements", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--report", type=Path)
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > args.cores:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:args.cores])
    citizens, placements = world(args.citizens, args.placements)
    model = RankingModel.load(DEFAULT_MODEL_PATH)
    citizen_index = np.repeat(np.arange(len(citizens)), len(placements))
    placement_index = np.tile(np.arange(len(placements)), len(citizens))
    pairs = len(citizen_index)
    bounds = np.linspace(0, pairs, args.workers + 1).astype(int)
    parts = [slice(int(low), int(high)) for low, high in itertools.pairwise(bounds)]  # views

    def run() -> dict[str, float]:
        timings: dict[str, float] = {}
        started = time.perf_counter()
        encoded = vectorised.encode_profiles(citizens, placements)
        timings["encode_profiles"] = time.perf_counter() - started

        started = time.perf_counter()
        schemes = vectorised.choose_schemes(encoded, citizen_index, placement_index)
        timings["schemes"] = time.perf_counter() - started
        started = time.perf_counter()
        features = vectorised.pair_features(encoded, citizen_index, placement_index, schemes, TODAY,
                                            workers=args.workers)
        timings["features"] = time.perf_counter() - started
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            list(pool.map(lambda rows: model.score(features[rows]), parts))
        timings["model"] = time.perf_counter() - started
        timings["features_and_score"] = timings["schemes"] + timings["features"] + timings["model"]
        timings["total"] = timings["encode_profiles"] + timings["features_and_score"]
        return timings

    run()  # warm-up
    runs = [run() for _ in range(args.repeat)]
    best = min(runs, key=lambda timing: timing["total"])
    report = {
        "pairs": pairs, "citizens": args.citizens, "placements": args.placements, "workers": args.workers,
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "model": model.version, "best_seconds": {name: round(value, 3) for name, value in best.items()},
        "median_total_seconds": round(float(np.median([timing["total"] for timing in runs])), 3),
        "pairs_per_second": round(pairs / best["total"]),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    print(json.dumps(report, indent=1))
    if args.report:
        args.report.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

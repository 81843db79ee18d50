"""The default model shipped in the package (`scoring/data/default_model.json`): trained on a demo history
drawn from the documented outcome process (`demo/outcomes.py`), so a new jobcentre ranks sensibly before
it has history of its own. `brobygger model build-default` regenerates it in a throwaway database.

It is trained without text vectors: text similarity depends on the encoder a jobcentre configures, so a
model shipped to everyone does not lean on one encoder's similarity scale (a locally trained model does).
"""

import asyncio
import datetime as dt
import hashlib
import json
from pathlib import Path

import asyncpg

from core.importing import ImportKind, import_file
from demo.generator import DEFAULT_REFERENCE_DATE, generate
from scoring import evaluation, service, training
from scoring.baseline import WeightedBaseline
from scoring.model import RankingModel
from users.schemas import OPERATOR

DEMO_SEED = 1
DEMO_CITIZENS = 3000
DEMO_EMPLOYERS = 300
DEMO_JOBCENTRES = (101, 751)


async def build(pool: asyncpg.Pool, demo_dir: Path, out: Path, *, seed: int = DEMO_SEED,
                citizens: int = DEMO_CITIZENS, employers: int = DEMO_EMPLOYERS) -> RankingModel:
    """Generate and import a demo history into the (empty, throwaway) database behind `pool`, train on it
    without text vectors, evaluate against the weighted baseline and write the artefact to `out`."""
    await asyncio.to_thread(generate, demo_dir, jobcentres=DEMO_JOBCENTRES, citizens=citizens, employers=employers,
                            seed=seed)
    for kind in ImportKind:
        report = await import_file(pool, kind, demo_dir / f"{kind.value}.jsonl", OPERATOR)
        if report.rejected:
            raise RuntimeError(f"demo {kind.value} rows were rejected: {report.rejected[:3]}")
    async with pool.acquire() as conn:
        history = training.without_vectors(await training.load_history(conn, service.profile_engine(""), None))
    training_set = await asyncio.to_thread(training.build_training_set, history)
    ranker = await asyncio.to_thread(training.fit, training_set.train)
    state = json.dumps(ranker.fitted_state(), sort_keys=True).encode()
    model = RankingModel(version=f"default-{hashlib.sha256(state).hexdigest()[:10]}", ranker=ranker,
                         created_at=dt.datetime.combine(DEFAULT_REFERENCE_DATE, dt.time(), dt.UTC).isoformat(),
                         training={**training_set.summary,
                                   "source": {"demo_seed": seed, "citizens": citizens, "employers": employers,
                                              "jobcentres": list(DEMO_JOBCENTRES)}})
    weighted = WeightedBaseline()
    comparison = await asyncio.to_thread(evaluation.evaluate, training_set.held_out, [
        evaluation.scorer_candidate(f"weighted_baseline ({weighted.version})", weighted),
        evaluation.scorer_candidate(service.CANDIDATE, model)])
    model.metrics = {"held_out_from": training_set.held_out_from.isoformat(), "primary": service.PRIMARY_METRIC,
                     "evaluation": comparison}
    await asyncio.to_thread(model.save, out)
    return model

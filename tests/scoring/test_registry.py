"""The model registry: candidates registered inactive, the promotion guard, rollback, at most one active
model, serving what is active (and the default otherwise), and training as a worker run with progress."""

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import numpy as np
import pytest

from api.app import create_app
from core.config import Settings
from core.errors import Conflict, NotFound
from core.vocab import Role
from scoring import service, training
from scoring.model import ArtefactError, RankingModel
from tests.conftest import TEST_SECRET
from tests.scoring.conftest import FAST
from users import service as users

ENCODER = "no-encoder"  # the test history has no text vectors


async def _train(pool: asyncpg.Pool, data_dir: Path) -> RankingModel:
    outcome = await service.train(pool, encoder_id=ENCODER, data_dir=data_dir, params=FAST)
    return outcome.model


async def _register_worse(pool: asyncpg.Pool, data_dir: Path) -> RankingModel:
    """A model trained on the same rows with the labels turned around: it ranks failures first."""
    async with pool.acquire() as conn:
        history = await training.load_history(conn, service.profile_engine(ENCODER), None)
    training_set = training.build_training_set(history)
    flipped = training_set.train
    flipped.labels = 1 - flipped.labels
    model = RankingModel(service.new_version(), training.fit(flipped, monotonic=False, **FAST))
    async with pool.acquire() as conn:
        await service.register(conn, model, data_dir=data_dir, held_out_from=training_set.held_out_from,
                               jobcentre_code=None)
    return model


async def _active(pool: asyncpg.Pool) -> str:
    async with pool.acquire() as conn:
        return (await service.active_scorer(conn)).version


async def _events(pool: asyncpg.Pool) -> list[tuple[str, str, str | None, bool]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT version, action, previous_version, forced FROM model_events ORDER BY id")
    return [(row["version"], row["action"], row["previous_version"], row["forced"]) for row in rows]


async def test_training_registers_an_inactive_candidate_compared_with_the_baselines(
        history_pool: asyncpg.Pool, history_settings: Settings) -> None:
    model = await _train(history_pool, history_settings.data_dir)
    async with history_pool.acquire() as conn:
        [row] = await service.list_versions(conn)
    assert row["version"] == model.version and not row["active"] and row["promoted_at"] is None
    assert row["held_out_from"].isoformat() == model.metrics["held_out_from"]
    evaluation = row["metrics"]["evaluation"]
    default = service.default_scorer().version
    assert set(evaluation) == {"semantic_similarity", "weighted_baseline (baseline-1)", "candidate",
                               f"active ({default})"}
    assert all(0 <= metrics["ndcg_at_10"] <= 1 and metrics["queries"] > 0 for metrics in evaluation.values())
    assert "brier" in evaluation["candidate"]["calibration"]
    assert evaluation["candidate"]["ndcg_at_10"] > evaluation["semantic_similarity"]["ndcg_at_10"]
    # The artefact on disk is the registered one, and the default model still serves.
    stored = RankingModel.load(service.artefact_path(history_settings.data_dir, model.version))
    async with history_pool.acquire() as conn:
        checksum = await conn.fetchval("SELECT checksum FROM model_versions WHERE version = $1", model.version)
    assert stored.checksum == checksum
    assert await _active(history_pool) == default
    assert await _events(history_pool) == [(model.version, "registered", None, False)]


async def test_promotion_refuses_a_worse_model_unless_forced(history_pool: asyncpg.Pool,
                                                             history_settings: Settings) -> None:
    good = await _train(history_pool, history_settings.data_dir)
    await service.promote(history_pool, good.version, encoder_id=ENCODER, force=True)
    assert await _active(history_pool) == good.version
    worse = await _register_worse(history_pool, history_settings.data_dir)
    with pytest.raises(service.PromotionRefused, match=r"ranks worse than the active model .*nDCG@10") as refused:
        await service.promote(history_pool, worse.version, encoder_id=ENCODER)
    assert good.version in refused.value.detail and "--force" in refused.value.detail
    assert await _active(history_pool) == good.version  # the refusal changed nothing
    promotion = await service.promote(history_pool, worse.version, encoder_id=ENCODER, force=True)
    assert promotion.forced and promotion.previous == good.version
    assert promotion.candidate_score is not None and promotion.active_score is not None
    assert promotion.candidate_score < promotion.active_score
    assert await _active(history_pool) == worse.version
    assert [event[1:] for event in await _events(history_pool)][-2:] == [
        ("registered", None, False), ("promoted", good.version, True)]
    with pytest.raises(Conflict, match="already the active model"):
        await service.promote(history_pool, worse.version, encoder_id=ENCODER)
    with pytest.raises(NotFound, match="no model version"):
        await service.promote(history_pool, "ranker-nope", encoder_id=ENCODER)


async def test_a_better_model_is_promoted_without_force(history_pool: asyncpg.Pool, history_settings: Settings) -> None:
    worse = await _register_worse(history_pool, history_settings.data_dir)
    await service.promote(history_pool, worse.version, encoder_id=ENCODER, force=True)
    good = await _train(history_pool, history_settings.data_dir)
    promotion = await service.promote(history_pool, good.version, encoder_id=ENCODER)
    assert not promotion.forced and promotion.previous == worse.version
    assert await _active(history_pool) == good.version


async def test_rollback_to_any_earlier_version_and_to_the_default(history_pool: asyncpg.Pool,
                                                                  history_settings: Settings) -> None:
    first = await _train(history_pool, history_settings.data_dir)
    second = await _register_worse(history_pool, history_settings.data_dir)
    await service.promote(history_pool, first.version, encoder_id=ENCODER, force=True)
    await service.promote(history_pool, second.version, encoder_id=ENCODER, force=True)
    assert await service.rollback(history_pool, first.version) == second.version
    assert await _active(history_pool) == first.version
    assert await service.rollback(history_pool, "default") == first.version
    assert await _active(history_pool) == service.default_scorer().version
    async with history_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM model_versions WHERE active") == 0
    with pytest.raises(Conflict, match="already what serves"):
        await service.rollback(history_pool, "default")
    with pytest.raises(NotFound):
        await service.rollback(history_pool, "ranker-20990101-000000-abcd")
    assert [event[1] for event in await _events(history_pool)][-2:] == ["rolled_back", "rolled_back"]


async def test_at_most_one_model_is_active(history_pool: asyncpg.Pool, history_settings: Settings) -> None:
    first = await _train(history_pool, history_settings.data_dir)
    second = await _register_worse(history_pool, history_settings.data_dir)
    await service.promote(history_pool, first.version, encoder_id=ENCODER, force=True)
    async with history_pool.acquire() as conn:
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute("UPDATE model_versions SET active = true, promoted_at = now() WHERE version = $1",
                               second.version)


async def test_the_active_scorer_follows_the_registry_and_is_cached_by_version(
        history_pool: asyncpg.Pool, history_settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    model = await _train(history_pool, history_settings.data_dir)
    await service.promote(history_pool, model.version, encoder_id=ENCODER, force=True)
    async with history_pool.acquire() as conn:
        served = await service.active_scorer(conn)
        assert served.version == model.version and await service.active_scorer(conn) is served
        features = np.random.default_rng(0).random((5, len(served.feature_names)))
        assert np.array_equal(served.score(features), model.score(features))
        # A tampered artefact in the registry is never served: the default model serves, with an error logged.
        await conn.execute("UPDATE model_versions SET artefact = replace(artefact, '\"intercept\"', '\"intercepts\"')")
        service._by_version.clear()
        with caplog.at_level(logging.ERROR, logger="scoring.service"):
            assert (await service.active_scorer(conn)).version == service.default_scorer().version
        assert "unusable" in caplog.text
        with pytest.raises(ArtefactError, match="checksum"):
            await service.load_version(conn, model.version)


async def test_training_as_a_worker_run_records_progress(history_pool: asyncpg.Pool,
                                                         history_settings: Settings,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(training, "fit", lambda train, **params: training.AdditiveRanker(**FAST).fit(
        train.features, train.labels, sample_weight=train.weights))
    async with history_pool.acquire() as conn:
        run_id = await service.request_training(conn, None)
        assert (await service.get_training_run(conn, run_id))["state"] == "queued"
    version = await service.run_training(history_pool, run_id, encoder_id=ENCODER,
                                         data_dir=history_settings.data_dir)
    async with history_pool.acquire() as conn:
        run = await service.get_training_run(conn, run_id)
    assert run["state"] == "done" and run["version"] == version and run["progress"] == 1.0
    assert run["stage"] == "done" and run["finished_at"] is not None
    # A repeated job finds its run finished and does nothing.
    assert await service.run_training(history_pool, run_id, encoder_id=ENCODER,
                                      data_dir=history_settings.data_dir) is None


async def test_a_training_run_without_history_fails_with_the_reason(pool: asyncpg.Pool, tmp_path: Path) -> None:
    async with pool.acquire() as conn:
        run_id = await service.request_training(conn, 101)
    assert await service.run_training(pool, run_id, encoder_id=ENCODER, data_dir=tmp_path) is None
    async with pool.acquire() as conn:
        run = await service.get_training_run(conn, run_id)
        assert await service.list_versions(conn) == []
    assert run["state"] == "failed" and "too little history" in run["error"]


async def test_suggestions_record_and_explain_with_the_promoted_model(history_pool: asyncpg.Pool,
                                                                      history_settings: Settings) -> None:
    model = await _train(history_pool, history_settings.data_dir)
    await service.promote(history_pool, model.version, encoder_id=ENCODER, force=True)
    async with history_pool.acquire() as conn:
        citizen_id = await conn.fetchval(
            """SELECT c.id FROM citizens c WHERE c.active AND c.jobcentre_code = 101
               AND EXISTS (SELECT 1 FROM placements p WHERE p.citizen_id = c.id) ORDER BY c.reference LIMIT 1""")
        consultant = await users.create_user(conn, name="Konsulent", role=Role.CONSULTANT, jobcentre_code=101)
    token = users.issue_token(consultant, users.TokenConfig(TEST_SECRET, dt.timedelta(hours=1)))
    app = create_app(history_settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await http.get(f"/v1/citizens/{citizen_id}/suggestions",
                                  headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["scorer_version"] == model.version and body["items"]
    assert all(item["scorer_version"] == model.version for item in body["items"])
    assert any(item["reasons"] for item in body["items"])
    async with history_pool.acquire() as conn:
        stored = await conn.fetchval("SELECT DISTINCT scorer_version FROM suggestions WHERE origin = 'citizen'")
    assert stored == model.version

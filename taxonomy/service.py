"""The taxonomy store: load the package data (and further label languages) into PostgreSQL."""

import asyncio
import concurrent.futures
import functools
import logging
import threading
from collections.abc import Callable
from pathlib import Path

import asyncpg

from core import memory
from core.errors import InvalidInput
from core.schemas import InferredCode
from taxonomy import package_data, repository
from taxonomy.encoders import get_encoder
from taxonomy.normaliser import Match, Normaliser

logger = logging.getLogger(__name__)


def _read_package_data(extra_labels_dir: Path | None) -> tuple[
        list[package_data.Occupation], list[package_data.Skill], list[tuple[str, str, str]], str, list[str]]:
    occupations = package_data.load_occupations(extra_labels_dir)
    skills = package_data.load_skills(extra_labels_dir)
    extra_languages = sorted(
        {path.stem.split("_", 1)[1] for path in extra_labels_dir.glob("*_*.csv")} if extra_labels_dir else set())
    version = package_data.data_version() + "".join(f"+{language}" for language in extra_languages)
    # ESCO 1.1.1 lists a few relations of occupations that its occupation file lacks; they are skipped.
    known_occupations, known_skills = {o.uri for o in occupations}, {s.uri for s in skills}
    relations = [(r.occupation_uri, r.skill_uri, r.relation) for r in package_data.load_occupation_skills()
                 if r.occupation_uri in known_occupations and r.skill_uri in known_skills]
    return occupations, skills, relations, version, extra_languages


class TaxonomyNotLoadedError(RuntimeError):
    """The database has no taxonomy; the message says how to load it."""


async def load(pool: asyncpg.Pool, *, extra_labels_dir: Path | None = None, force: bool = False) -> str:
    """Load the taxonomy unless this version is already loaded; return the loaded version.

    Idempotent: the version combines the package data hash and any extra label files, so loading the
    same data twice is a no-op, and new data replaces the old in one transaction.
    """
    occupations, skills, relations, version, extra_languages = await asyncio.to_thread(
        _read_package_data, extra_labels_dir)
    async with pool.acquire() as conn, conn.transaction():
        if not force and await repository.loaded_version(conn) == version:
            logger.info("taxonomy %s already loaded", version)
            return version
        await repository.replace_all(
            conn, version=version, extra_languages=extra_languages,
            occupations=[(o.uri, o.isco_group, o.label_en, o.labels_da[0] if o.labels_da else None,
                          list(o.alt_labels_en), list(o.labels_da), list(o.extra_labels), o.description_en)
                         for o in occupations],
            skills=[(s.uri, s.label_en, list(s.alt_labels_en), list(s.extra_labels), s.skill_type,
                     s.reuse_level, s.description_en) for s in skills],
            relations=relations,
            isco_groups=[(g.code, g.label_en, g.label_da, g.parent_code) for g in package_data.load_isco_groups()],
            disco_titles=[(d.code, d.title_da, d.isco_group) for d in package_data.load_disco_titles()],
        )
    logger.info("taxonomy %s loaded: %d occupations, %d skills", version, len(occupations), len(skills))
    return version


async def require_loaded(conn: asyncpg.Connection) -> str:
    version = await repository.loaded_version(conn)
    if version is None:
        raise TaxonomyNotLoadedError(
            "the database holds no taxonomy (tables occupations, skills, …): run `brobygger taxonomy load`")
    return version


async def check_known_uris(conn: asyncpg.Connection, *, occupations: dict[str, list[str]],
                           skills: dict[str, list[str]]) -> None:
    """Refuse ESCO URIs that are well-formed but not in the loaded taxonomy; keys name the fields."""
    for field, uris in occupations.items():
        unknown = await repository.unknown_occupations(conn, uris) if uris else []
        if unknown:
            raise InvalidInput(field, f"unknown ESCO occupation {unknown[0]}")
    for field, uris in skills.items():
        unknown = await repository.unknown_skills(conn, uris) if uris else []
        if unknown:
            raise InvalidInput(field, f"unknown ESCO skill {unknown[0]}")


class NormaliserProvider:
    """Builds the normaliser once per process in a background thread and hands it out when ready.

    Indexing the taxonomy takes seconds (lexical) to minutes (dense label vectors on first start), so
    it never runs on the event loop or at import time; requests wait for the lexical index.
    """

    def __init__(self, *, encoder_name: str | None, cache_dir: Path | None) -> None:
        self.encoder_name = encoder_name
        self.cache_dir = cache_dir
        self._lexical: concurrent.futures.Future[Normaliser] | None = None
        self._dense: concurrent.futures.Future[Normaliser] | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._lexical is None:
                self._lexical = _in_background(_build_normaliser, None, None)
            if self._dense is None and self.encoder_name is not None:
                self._dense = _in_background(_build_normaliser, self.encoder_name, self.cache_dir)

    async def get(self) -> Normaliser:
        """The best normaliser available now: dense once built, lexical until then."""
        self.start()
        assert self._lexical is not None
        if self._dense is not None and self._dense.done() and self._dense.exception() is None:
            return self._dense.result()
        return await asyncio.wrap_future(self._lexical)


def _in_background(build: Callable[[str | None, Path | None], Normaliser], encoder_name: str | None,
                   cache_dir: Path | None) -> concurrent.futures.Future[Normaliser]:
    """Run the build in a daemon thread: a shutdown must not wait minutes for label vectors."""
    future: concurrent.futures.Future[Normaliser] = concurrent.futures.Future()

    def run() -> None:
        try:
            normaliser = build(encoder_name, cache_dir)
        except BaseException as error:  # handed to whoever awaits the future
            future.set_exception(error)
            return
        memory.settle()
        future.set_result(normaliser)

    threading.Thread(target=run, name="normaliser", daemon=True).start()
    return future


@functools.cache
def _build_normaliser(encoder_name: str | None, cache_dir: Path | None) -> Normaliser:
    encoder = get_encoder(encoder_name) if encoder_name else None
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
    normaliser = Normaliser.build(encoder, cache_dir)
    logger.info("taxonomy normaliser ready (%s)", encoder.id if encoder else "lexical")
    return normaliser


def _code(match: Match, text: str) -> dict[str, object]:
    return InferredCode(uri=match.uri, label=match.label, score=round(match.score, 4),
                        from_text=text[:200]).model_dump(by_alias=True)


def infer_occupations(normaliser: Normaliser, texts: list[str], *, per_text: int = 3,
                      min_score: float = 0.35) -> list[dict[str, object]]:
    """Occupations for free-text titles and wishes, best score per URI, highest first."""
    best: dict[str, tuple[Match, str]] = {}
    for text in texts:
        for match in normaliser.occupations(text, limit=per_text):
            if match.score >= min_score and (match.uri not in best or match.score > best[match.uri][0].score):
                best[match.uri] = (match, text)
    ranked = sorted(best.values(), key=lambda pair: -pair[0].score)
    return [_code(match, text) for match, text in ranked]


def infer_skills(normaliser: Normaliser, texts: list[str], *, min_score: float = 0.45) -> list[dict[str, object]]:
    """The best ESCO skill for each free-text skill, when it is a confident match."""
    inferred = []
    for text in texts:
        matches = normaliser.skills(text, limit=1)
        if matches and matches[0].score >= min_score:
            inferred.append(_code(matches[0], text))
    return inferred


async def infer_codes(normaliser: Normaliser | None, *, occupation_texts: list[str],
                      skill_texts: list[str]) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Inferred (occupations, skills) for free text, computed off the event loop; empty without a normaliser."""
    if normaliser is None or not (occupation_texts or skill_texts):
        return [], []
    return await asyncio.to_thread(
        lambda: (infer_occupations(normaliser, occupation_texts), infer_skills(normaliser, skill_texts)))

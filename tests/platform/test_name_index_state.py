"""The in-memory name index's state as keys are added one by one: the same answers as an
index built with all of them, and a state once made never changes (a search running on
it keeps it whole) — through buffer growth and merges of the recent postings."""

from __future__ import annotations

import random

import numpy as np

from services.platform.name_index import NameKeyIndex, _State, _with_keys


def built(keys: list[tuple[int, list[str]]]) -> _State:
    """The state a build from the table would make of these keys."""
    keys = sorted(keys)
    postings: dict[str, list[int]] = {}
    for position, (_seq, grams) in enumerate(keys):
        for gram in sorted(set(grams)):
            postings.setdefault(gram, []).append(position)
    return _State(
        seq_buffer=np.asarray([seq for seq, _ in keys], dtype=np.int64),
        count_buffer=np.asarray([len(set(g)) for _, g in keys], dtype=np.int16),
        size=len(keys),
        postings={g: np.asarray(p, dtype=np.int32) for g, p in postings.items()},
        recent={},
        base=len(keys),
        added=set(),
        high=max((seq for seq, _ in keys), default=0),
        built_at=0.0,
    )


def search(state: _State, grams: list[str], threshold: float = 0.3) -> dict[int, float]:
    index = NameKeyIndex("test.keys", state=state)
    seqs, similarities = index.search(grams, threshold)
    return dict(zip(seqs, similarities, strict=True))


def test_keys_added_one_by_one_answer_as_a_fresh_build_and_old_states_stay_whole():
    rng = random.Random(7)
    alphabet = [f"g{i:02d}" for i in range(60)]

    def key(seq: int) -> tuple[int, list[str]]:
        return seq, rng.sample(alphabet, rng.randint(3, 9))

    first = [key(seq) for seq in range(1, 201)]
    later = [key(seq) for seq in range(201, 1401)]
    state = built(first)
    probes = [rng.sample(alphabet, 6) for _ in range(25)]
    snapshots = []
    for n, row in enumerate(later):
        state = _with_keys(state, [row])
        if n % 300 == 0:  # remember a state and what it answered then
            snapshots.append((state, [search(state, p) for p in probes]))
    # more keys than the first buffer held, and more recent trigrams than a quarter of
    # the built ones: both the growth and the merge happened
    assert state.size == 1400 and len(state.seq_buffer) >= 1400
    whole = built(first + later)
    for probe in probes:
        assert search(state, probe) == search(whole, probe)
    for old, answers in snapshots:
        assert [search(old, p) for p in probes] == answers
    assert all(state.knows(seq) for seq in range(1, 1401)) and not state.knows(5000)

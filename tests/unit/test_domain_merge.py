"""Three-way merge of a case from a bundle: take, keep, or keep both — never drop."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cocdesk.domain.merge import Conflict, digest, merge

SRC, AT = "Robin, PyColorado 2026", "2026-05-03T10:00:00Z"


def test_same_on_both_sides_changes_nothing_but_the_base() -> None:
    m = merge({"a": "x"}, {"a": "x"}, {}, (), SRC, AT)
    assert not m.changed and m.base == {"a": digest("x")}


def test_changed_only_in_the_bundle_is_taken() -> None:
    m = merge({"a": "old"}, {"a": "new"}, {"a": digest("old")}, (), SRC, AT)
    assert m.take == {"a": "new"} and not m.conflicts


def test_changed_only_here_is_kept() -> None:
    m = merge({"a": "ours"}, {"a": "old"}, {"a": digest("old")}, (), SRC, AT)
    assert not m.changed


def test_changed_on_both_sides_keeps_ours_and_theirs_as_a_conflict() -> None:
    m = merge({"a": "ours"}, {"a": "theirs"}, {"a": digest("old")}, (), SRC, AT)
    assert m.take == {}
    assert m.conflicts == (Conflict("a", "theirs", SRC, AT),)


def test_a_conflict_already_kept_is_not_kept_twice() -> None:
    known = (Conflict("a", "theirs", SRC, AT),)
    m = merge({"a": "ours"}, {"a": "theirs"}, {"a": digest("theirs")}, known, SRC, AT)
    assert not m.changed


def test_a_field_missing_here_is_taken_and_one_missing_there_is_left() -> None:
    m = merge({"kept": 1}, {"new": 2}, {}, (), SRC, AT)
    assert m.take == {"new": 2}


def test_notes_are_a_union_in_order() -> None:
    ours = [{"text": "a"}, {"text": "b"}]
    theirs = [{"text": "b"}, {"text": "c"}]
    m = merge({"notes": ours}, {"notes": theirs}, {}, (), SRC, AT, logs=frozenset({"notes"}))
    assert m.take == {"notes": [{"text": "a"}, {"text": "b"}, {"text": "c"}]}


def test_a_held_field_is_never_taken_only_kept_beside_ours() -> None:
    """Held: the bundle's value would move the case back (issue 14.3); three-way alone would take it."""
    old, ours = {"status": "reported"}, {"status": "decided", "actions": ["ban"]}
    m = merge(
        {"facts": ours}, {"facts": old}, {"facts": digest(ours)}, (), SRC, AT, held=frozenset({"facts"})
    )
    assert m.take == {}
    assert m.conflicts == (Conflict("facts", old, SRC, AT),)
    assert merge({"facts": ours}, {"facts": old}, {"facts": digest(ours)}, (), SRC, AT).take == {"facts": old}


values = st.dictionaries(
    st.sampled_from("abcd"), st.one_of(st.integers(0, 3), st.text(max_size=3)), max_size=4
)


# No deadline: under a full parallel run one example can take longer than 200 ms.
@settings(deadline=None)
@given(values, values, values)
def test_merging_the_same_bundle_twice_changes_nothing_the_second_time(
    here: dict[str, object], incoming: dict[str, object], old: dict[str, object]
) -> None:
    base = {k: digest(v) for k, v in old.items()}
    first = merge(here, incoming, base, (), SRC, AT)
    after = {**here, **first.take}
    second = merge(after, incoming, first.base, first.conflicts, SRC, AT)
    assert not second.changed and second.base == first.base


# No deadline: under a full parallel run one example can take longer than 200 ms.
@settings(deadline=None)
@given(values, values, values)
def test_no_value_from_either_side_is_lost(
    here: dict[str, object], incoming: dict[str, object], old: dict[str, object]
) -> None:
    base = {k: digest(v) for k, v in old.items()}
    m = merge(here, incoming, base, (), SRC, AT)
    after = {**here, **m.take}
    kept_theirs = {(c.field, digest(c.value)) for c in m.conflicts}
    for name, theirs in incoming.items():
        # theirs is here now, or kept as a conflict, or was the base we had moved on from
        assert (
            digest(after[name]) == digest(theirs)
            or (name, digest(theirs)) in kept_theirs
            or base.get(name) == digest(theirs)
        )
    for name, ours in here.items():
        # ours is overwritten only when it was the base (unchanged here since)
        assert digest(after[name]) == digest(ours) or base.get(name) == digest(ours)


def test_an_empty_list_of_notes_is_no_news() -> None:
    m = merge({"notes": [{"text": "a"}]}, {"notes": []}, {}, (), SRC, AT, logs=frozenset({"notes"}))
    assert not m.changed


def test_an_untrusted_sender_fills_nothing_in() -> None:
    m = merge(
        {"a": 1}, {"a": 2, "b": 3, "notes": [{"t": 1}]}, {}, (), SRC, AT, frozenset({"notes"}), trusted=False
    )
    assert m.take == {}
    assert {(c.field, repr(c.value)) for c in m.conflicts} == {
        ("a", "2"),
        ("b", "3"),
        ("notes", "[{'t': 1}]"),
    }

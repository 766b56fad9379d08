"""/troubleshoot without Discord: shipped flows, broken flow files, walks with real facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from diagnostics.facts import FailedGeneration, RecentCharge, UserFacts, pick_key
from diagnostics.flow_model import MAX_POSITION_CHARS, MAX_TEXT, FlowProblem, StepRef
from diagnostics.flows import FlowError, FlowSet, load_default_flows, load_flows
from diagnostics.position import QA, OutcomeKind, Position
from diagnostics.walker import (
    PositionError,
    WalkError,
    choose,
    parse_position,
    pick,
    start,
    view,
)

FLOWS = load_default_flows()
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
RESET = datetime(2026, 3, 11, 0, 0, tzinfo=UTC)
RENEWAL = datetime(2026, 3, 28, 9, 30, tzinfo=UTC)

ARTISAN = UserFacts(
    linked=True,
    plan="artisan",
    status="active",
    daily=0,
    monthly=18_250,
    rollover=4_000,
    total=22_250,
    display_total=22_250,
    rollover_cap=75_000,
    api_credits=0,
    relaxed_eligible=True,
    relaxed_active=False,
    relaxed_used_today=0,
    next_daily_reset=RESET,
    next_renewal=RENEWAL,
    daily_allowance=150,
)
FREE_AT_ZERO = replace(
    ARTISAN,
    plan="free",
    monthly=0,
    rollover=0,
    total=0,
    display_total=0,
    rollover_cap=0,
    relaxed_eligible=False,
    next_renewal=None,
)
UNLINKED = UserFacts.unlinked(RESET, 150)


def timestamp(when: datetime) -> str:
    """What the Discord layer would show: an absolute and a relative timestamp."""
    return f"<t:{int(when.timestamp())}:f> (<t:{int(when.timestamp())}:R>)"


def walk(facts: UserFacts, *choices: str, flow: str | None = None) -> Position:
    position = start(FLOWS, facts, flow)
    for choice in choices:
        position = choose(position, choice, facts)
    return position


def at(position: Position) -> str:
    return f"{position.flow}:{position.step}"


# The shipped flows


def test_every_shipped_flow_loads_and_the_menu_leads_into_each_topic() -> None:
    assert FLOWS.entry == "menu"
    menu = view(walk(ARTISAN), ARTISAN)
    topics = {choice.next.flow for choice in menu.choices} - {"menu"}
    assert topics == set(FLOWS.flows) - {"menu"}
    assert {f.path.rsplit("/", 1)[-1] for f in FLOWS.flows.values()} == {
        f"{flow_id}.toml" for flow_id in FLOWS.flows
    }


def test_shipped_flows_cover_every_ticket_category_and_a_refund() -> None:
    kinds = {step.kind for _, step in FLOWS.walk()}
    categories = {step.category for _, step in FLOWS.walk() if step.category}
    assert {"solved", "ticket", "refund", "refund_picker", "info"} <= kinds
    assert categories == {"missing_tokens", "not_refreshing", "billing", "other"}


# Ledger-aware walks


def test_a_past_due_account_is_told_so_from_billing_and_from_missing_monthly_tokens() -> None:
    past_due = replace(ARTISAN, status="past_due")
    billing = walk(past_due, "billing")
    assert at(billing) == "billing:start"
    assert "past due" in view(billing, past_due).render(timestamp)
    assert at(walk(past_due, "missing", "monthly")) == "tokens:monthly"
    # An active subscriber skips that step and is shown the next renewal instead.
    active = view(walk(ARTISAN, "billing"), ARTISAN)
    assert active.ref == StepRef("billing", "active")
    assert active.values["next_renewal"] == RENEWAL
    assert timestamp(RENEWAL) in active.render(timestamp)


def test_a_free_user_at_zero_sees_when_the_daily_tokens_come_back() -> None:
    position = walk(FREE_AT_ZERO, "missing", "daily")
    shown = view(position, FREE_AT_ZERO)
    assert shown.ref == StepRef("tokens", "daily")
    assert shown.values["next_daily_reset"] == RESET  # raw, for the renderer to format
    assert timestamp(RESET) in shown.render(timestamp)
    # With tokens left, the free user gets the other explanation, quoting the balance.
    some_left = replace(FREE_AT_ZERO, daily=40, total=40, display_total=40)
    other = view(walk(some_left, "missing", "daily"), some_left)
    assert other.ref == StepRef("tokens", "daily_free")
    assert other.values["daily"] == 40


def test_the_daily_allowance_is_quoted_from_the_catalogue_not_restated() -> None:
    generous = replace(FREE_AT_ZERO, daily=40, total=40, display_total=40, daily_allowance=200)
    text = view(walk(generous, "missing", "daily"), generous).render(timestamp)
    assert "fresh 200 at every" in text and "150" not in text


def test_asking_about_the_api_shows_both_pools_with_the_users_numbers() -> None:
    api_user = replace(ARTISAN, api_credits=12_345)
    shown = view(walk(api_user, "api"), api_user)
    assert shown.values["total"] == 22_250
    assert shown.values["api_credits"] == 12_345
    text = shown.render(timestamp)
    assert "22,250" in text
    assert "12,345" in text
    # Without a linked account there are no numbers to show.
    assert view(walk(UNLINKED, "continue", "api"), UNLINKED).values == {}


def failed(generation_id: str, hours_ago: int, refundable: bool = True, source: str = "web"):
    return FailedGeneration(generation_id, 7, source, NOW - timedelta(hours=hours_ago), refundable)


def test_failed_charged_generations_are_listed_and_the_picked_ones_end_in_a_refund() -> None:
    long_id = "gen-" + "x" * 124  # longer than a Discord select value may be
    facts = replace(
        ARTISAN,
        failed_charged=(
            failed("gen-old", 30),
            failed(long_id, 2, source="api"),
            failed("gen-done", 1, refundable=False),
        ),
    )
    picker = walk(facts, "failed")
    shown = view(picker, facts)
    assert shown.kind == "refund_picker"
    assert [p.generation.generation_id for p in shown.pickable] == [long_id, "gen-old"]
    assert all(len(p.key) <= 100 for p in shown.pickable)
    assert shown.values["refundable_count"] == 2

    refund = pick(picker, [pick_key(long_id)], facts)
    outcome = refund.outcome
    assert outcome is not None
    assert outcome.kind == OutcomeKind.REFUND
    assert outcome.generation_ids == (long_id,)
    menu = view(walk(facts), facts)
    label = next(choice.label for choice in menu.choices if choice.id == "failed")
    assert outcome.answers == (QA(menu.title, label),)


def test_a_generation_that_is_no_longer_refundable_cannot_be_picked() -> None:
    facts = replace(ARTISAN, failed_charged=(failed("gen-a", 3), failed("gen-done", 1, False)))
    picker = walk(facts, "failed")
    assert pick(picker, [pick_key("gen-done")], facts) == picker
    both = pick(picker, ["gen-a", pick_key("gen-done")], facts)
    assert both.outcome is not None and both.outcome.generation_ids == ("gen-a",)
    with pytest.raises(WalkError) as caught:
        pick(walk(facts), ["gen-a"], facts)
    assert caught.value.problem == "not_a_picker"


def test_without_refundable_generations_the_picker_is_skipped() -> None:
    all_refunded = replace(ARTISAN, failed_charged=(failed("gen-done", 1, False),))
    assert at(walk(all_refunded, "failed")) == "failed:none_open"
    assert at(walk(ARTISAN, "failed")) == "failed:not_seen"
    assert at(walk(UNLINKED, "continue", "failed")) == "failed:unlinked"
    assert walk(UNLINKED, "continue", "failed").outcome is not None


def test_tokens_gone_fast_shows_what_consumed_them() -> None:
    charges = (RecentCharge("gen-1", 45, NOW), RecentCharge("gen-2", 30, NOW))
    facts = replace(ARTISAN, recent_charges=charges)
    shown = view(walk(facts, "spent"), facts)
    assert shown.ref == StepRef("tokens", "spent")
    assert "recent_charges" in shown.show
    assert (shown.values["recent_count"], shown.values["recent_spent"]) == (2, 75)
    assert at(walk(ARTISAN, "spent")) == "tokens:spent_general"


def test_relaxed_mode_is_explained_with_the_negative_display() -> None:
    relaxed = replace(ARTISAN, monthly=0, rollover=0, total=0, relaxed_active=True)
    relaxed = replace(relaxed, display_total=-320, relaxed_used_today=320)
    shown = view(walk(relaxed, "cheaper", "still_short"), relaxed)
    assert shown.ref == StepRef("cost", "relaxed_now")
    assert "-320" in shown.render(timestamp)
    assert at(walk(FREE_AT_ZERO, "cheaper", "still_short")) == "cost:upgrade"


def test_a_ticket_carries_the_questions_and_answers_given_so_far() -> None:
    position = start(FLOWS, ARTISAN)
    asked = []
    for choice_id in ("access", "signin", "still", "still"):
        shown = view(position, ARTISAN)
        label = next(c.label for c in shown.choices if c.id == choice_id)
        asked.append(QA(shown.title, label))
        position = choose(position, choice_id, ARTISAN)
    outcome = position.outcome
    assert outcome is not None
    assert (outcome.kind, outcome.category) == (OutcomeKind.TICKET, "other")
    assert outcome.answers == tuple(asked)
    assert outcome.generation_ids == ()


def test_an_unlinked_user_is_asked_to_link_first() -> None:
    position = start(FLOWS, UNLINKED)
    assert at(position) == "menu:link_check"
    assert at(start(FLOWS, ARTISAN)) == "menu:start"
    assert walk(UNLINKED, "link_first").outcome.kind == OutcomeKind.INFO  # type: ignore[union-attr]


def test_impossible_moves_are_walk_errors() -> None:
    with pytest.raises(WalkError) as caught:
        choose(start(FLOWS, ARTISAN), "no_such_choice", ARTISAN)
    assert (caught.value.problem, caught.value.detail) == ("unknown_choice", "no_such_choice")
    with pytest.raises(WalkError) as caught:
        choose(walk(ARTISAN, "other"), "anything", ARTISAN)
    assert caught.value.problem == "finished"
    with pytest.raises(WalkError):
        start(FLOWS, ARTISAN, flow="nope")


# Positions as strings


def test_a_position_round_trips_through_its_string_with_its_answers() -> None:
    position = walk(ARTISAN, "missing", "monthly")
    text = str(position)
    assert len(text) <= MAX_POSITION_CHARS
    restored = parse_position(FLOWS, text, ARTISAN)
    assert restored == position
    assert restored.transcript == position.transcript
    assert len(restored.answers) == 2


def test_a_finished_refund_round_trips_with_its_picks() -> None:
    facts = replace(ARTISAN, failed_charged=(failed("gen-a", 3), failed("gen-b", 2)))
    refund = pick(walk(facts, "failed"), ["gen-a", "gen-b"], facts)
    assert parse_position(FLOWS, refund.encode(), facts) == refund


@pytest.mark.parametrize(
    "text", ["", "menu", "menu:start:nowhere:", "menu:start:menu:!", "a:b:c:d:e:f"]
)
def test_garbage_is_not_a_position(text: str) -> None:
    with pytest.raises(PositionError) as caught:
        parse_position(FLOWS, text, ARTISAN)
    assert caught.value.problem == "malformed"


def test_a_position_whose_path_no_longer_applies_is_stale() -> None:
    past_due = replace(ARTISAN, status="past_due")
    text = str(walk(past_due, "billing"))  # billing:start, shown only while past due
    assert parse_position(FLOWS, text, past_due) == walk(past_due, "billing")
    with pytest.raises(PositionError) as caught:
        parse_position(FLOWS, text, ARTISAN)  # paid since: the path now leads elsewhere
    assert caught.value.problem == "stale"
    with pytest.raises(PositionError):
        parse_position(FLOWS, "menu:start:menu:z", ARTISAN)  # no 36th choice


facts_strategy = st.builds(
    UserFacts,
    linked=st.booleans(),
    plan=st.sampled_from(["free", "apprentice", "artisan", "maestro"]),
    status=st.sampled_from(["active", "past_due"]),
    daily=st.integers(0, 150),
    monthly=st.integers(0, 60_000),
    rollover=st.integers(0, 180_000),
    total=st.integers(0, 10**12),
    display_total=st.integers(-(10**12), 10**12),
    rollover_cap=st.integers(0, 180_000),
    api_credits=st.integers(0, 10**12),
    relaxed_eligible=st.booleans(),
    relaxed_active=st.booleans(),
    relaxed_used_today=st.integers(0, 10**6),
    next_daily_reset=st.just(RESET),
    next_renewal=st.sampled_from([None, RENEWAL]),
    failed_charged=st.lists(
        st.builds(
            FailedGeneration,
            generation_id=st.text("abcdef0123456789-", min_size=1, max_size=128),
            tokens=st.integers(1, 500),
            source=st.sampled_from(["web", "api"]),
            charged_at=st.datetimes(timezones=st.just(UTC)),
            refundable=st.booleans(),
        ),
        max_size=30,
        unique_by=lambda f: f.generation_id,
    ).map(tuple),
    recent_charges=st.lists(
        st.builds(RecentCharge, st.none(), st.integers(1, 500), st.just(NOW)), max_size=5
    ).map(tuple),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(facts=facts_strategy, flow=st.sampled_from(sorted(FLOWS.flows)), data=st.data())
def test_any_walk_ends_in_an_outcome_and_every_step_fits_discord(
    facts: UserFacts, flow: str, data: st.DataObject
) -> None:
    position = start(FLOWS, facts, flow)
    for _ in range(40):
        shown = view(position, facts)
        assert len(shown.render(timestamp)) <= MAX_TEXT
        if not facts.linked:  # nobody is shown an account's numbers before linking one
            assert set(shown.values) <= {"next_daily_reset", "daily_allowance"}  # everyone's
        assert parse_position(FLOWS, position.encode(), facts) == position
        if position.finished:
            break
        assert len(position.encode()) <= MAX_POSITION_CHARS
        assert shown.choices, "every step offers at least one way on"
        if shown.pickable and data.draw(st.booleans()):
            keys = data.draw(st.lists(st.sampled_from([p.key for p in shown.pickable]), min_size=1))
            position = pick(position, keys, facts)
        else:
            position = choose(position, data.draw(st.sampled_from(shown.choices)).id, facts)
    outcome = position.outcome
    assert outcome is not None, f"walk did not finish: {position}"
    event(f"ended in {outcome.kind.value}")
    assert (outcome.category is not None) == (outcome.kind == OutcomeKind.TICKET)
    assert bool(outcome.generation_ids) == (outcome.kind == OutcomeKind.REFUND)
    assert len(outcome.answers) == len(position.answers)


# Broken flow files

MINI = """
id = "mini"
entry = true

[[steps]]
id = "start"
title = "Pick one"
text = "You have {total} tokens."

[[steps.choices]]
id = "yes"
label = "Yes"
next = "check"

[[steps.choices]]
id = "no"
label = "No"
next = "done"

[[steps]]
id = "check"
when = "past_due"
skip_to = "done"
title = "Billing"
text = "Past due."

[[steps.choices]]
id = "ok"
label = "OK"
next = "ticket"

[[steps]]
id = "done"
kind = "solved"
title = "Done"
text = "Done."

[[steps]]
id = "ticket"
kind = "ticket"
category = "billing"
title = "Ticket"
text = "Ticket."
"""

LOOP = """
[[steps]]
id = "loop_a"
title = "A"
text = "A"

[[steps.choices]]
id = "on"
label = "On"
next = "loop_b"

[[steps]]
id = "loop_b"
title = "B"
text = "B"

[[steps.choices]]
id = "back"
label = "Back"
next = "loop_a"
"""

ORPHAN = """
[[steps]]
id = "orphan"
title = "Nobody comes here"
text = "Alone."

[[steps.choices]]
id = "out"
label = "Out"
next = "done"
"""

MANY_CHOICES = "".join(
    f'\n[[steps.choices]]\nid = "c{i}"\nlabel = "C{i}"\nnext = "done"\n' for i in range(25)
)


def load_one(tmp_path: Path, text: str) -> FlowSet:
    path = tmp_path / "mini.toml"
    path.write_text(text, encoding="utf-8")
    return load_flows([path])


@pytest.mark.parametrize(
    ("broken", "step", "problem"),
    [
        (MINI + ORPHAN, "orphan", FlowProblem.UNREACHABLE),
        (MINI.replace('next = "check"', 'next = "nowhere"'), "start", FlowProblem.UNKNOWN_TARGET),
        (MINI.replace('next = "check"', 'next = "ghost:start"'), "start", "unknown_target"),
        (MINI.replace('next = "done"', 'next = "loop_a"', 1) + LOOP, "loop_a", "dead_end"),
        (MINI.replace('"past_due"', '"pastdue"'), "check", FlowProblem.UNKNOWN_PREDICATE),
        (MINI.replace('"past_due"', '"never past_due"'), "check", "unknown_predicate"),
        (MINI.replace("{total}", "{totl}"), "start", FlowProblem.UNKNOWN_PLACEHOLDER),
        (MINI.replace("{total}", "{total"), "start", FlowProblem.BAD_TEMPLATE),
        (MINI.replace('label = "Yes"', f'label = "{"Y" * 81}"'), "start", FlowProblem.TOO_LONG),
        (MINI.replace("You have", "x" * 4000), "start", FlowProblem.TOO_LONG),
        (
            MINI.replace('next = "ticket"', 'next = "ticket"' + MANY_CHOICES),
            "check",
            "too_many_choices",
        ),
        (MINI.replace('id = "yes"', 'id = "Yes!"'), "start", FlowProblem.BAD_ID),
        (MINI.replace('id = "ticket"', 'id = "done"'), "done", FlowProblem.DUPLICATE_STEP),
        (MINI.replace('when = "past_due"\n', ""), "check", FlowProblem.MISSING),
        (MINI.replace('skip_to = "done"', 'skip_to = "check"'), "check", FlowProblem.SKIP_CYCLE),
        (MINI.replace("skip_to", "skipto"), "check", FlowProblem.UNKNOWN_KEY),
        (MINI.replace('category = "billing"\n', ""), "ticket", FlowProblem.MISSING),
        (MINI.replace('category = "billing"', 'category = "refunds"'), "ticket", "unknown_value"),
        (MINI.replace('id = "ok"', 'id = "ok"\nwhen = "paid"'), "check", "no_fallback_choice"),
        (
            MINI.replace('title = "Billing"', 'kind = "refund_picker"\nthen = "done"\ntitle = "B"'),
            "check",
            FlowProblem.BAD_REFUND_TARGET,
        ),
        (MINI.replace('kind = "solved"', 'kind = "solved"\nchoices = []'), "done", "not_allowed"),
        (MINI.replace("[[steps]]", "[[steps]", 1), None, FlowProblem.INVALID_TOML),
        (MINI.replace("entry = true", ""), None, FlowProblem.NO_ENTRY),
    ],
)
def test_a_broken_flow_is_reported_with_its_file_and_step(
    tmp_path: Path, broken: str, step: str | None, problem: str
) -> None:
    with pytest.raises(FlowError) as caught:
        load_one(tmp_path, broken)
    error = caught.value
    assert (error.path, error.step, error.problem) == (str(tmp_path / "mini.toml"), step, problem)
    assert str(tmp_path / "mini.toml") in str(error)
    if step is not None:
        assert f"step {step}" in str(error)


def test_the_mini_flow_itself_is_valid(tmp_path: Path) -> None:
    flows = load_one(tmp_path, MINI)
    assert at(start(flows, ARTISAN)) == "mini:start"


def test_two_files_with_one_flow_id_are_refused(tmp_path: Path) -> None:
    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    first.write_text(MINI, encoding="utf-8")
    second.write_text(MINI.replace("entry = true", ""), encoding="utf-8")
    with pytest.raises(FlowError) as caught:
        load_flows([first, second])
    assert (caught.value.path, caught.value.problem) == (str(second), "duplicate_flow")


def test_a_flow_too_deep_for_a_custom_id_is_refused(tmp_path: Path) -> None:
    chain = "".join(
        f'\n[[steps]]\nid = "s{i}"\ntitle = "S"\ntext = "S"\n'
        f'[[steps.choices]]\nid = "on"\nlabel = "On"\nnext = "s{i + 1}"\n'
        for i in range(40)
    )
    text = MINI.replace('next = "done"', 'next = "s0"', 1) + chain.replace('"s40"', '"done"')
    with pytest.raises(FlowError) as caught:
        load_one(tmp_path, text)
    assert (caught.value.step, caught.value.problem) == ("start", "path_too_long")


def test_an_exitable_loop_is_allowed_and_coming_round_again_forgets_the_loop(
    tmp_path: Path,
) -> None:
    retry = MINI.replace('next = "done"', 'next = "loop_a"', 1) + LOOP.replace(
        'next = "loop_a"',
        'next = "loop_a"\n\n[[steps.choices]]\nid = "quit"\nlabel = "Quit"\nnext = "done"',
    )
    flows = load_one(tmp_path, retry)
    position = choose(start(flows, ARTISAN), "no", ARTISAN)
    once = choose(position, "on", ARTISAN)
    for _ in range(50):
        position = choose(choose(position, "on", ARTISAN), "back", ARTISAN)
    assert at(position) == "mini:loop_a"
    assert len(position.answers) == 1  # only "start -> No" is left
    assert parse_position(flows, str(position), ARTISAN) == position
    ended = choose(once, "quit", ARTISAN)
    assert ended.outcome is not None and ended.outcome.kind == OutcomeKind.SOLVED
    assert [qa.answer for qa in ended.outcome.answers] == ["No", "On", "Quit"]


def test_a_conditional_choice_is_shown_only_when_it_applies(tmp_path: Path) -> None:
    flows = load_one(
        tmp_path, MINI.replace('id = "no"', 'id = "no"\nwhen = ["not free", "linked"]')
    )
    shown = [c.id for c in view(start(flows, ARTISAN), ARTISAN).choices]
    hidden = [c.id for c in view(start(flows, FREE_AT_ZERO), FREE_AT_ZERO).choices]
    assert (shown, hidden) == (["yes", "no"], ["yes"])

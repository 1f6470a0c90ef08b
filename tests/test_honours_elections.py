"""身边好人 elections: the state machine, ballot secrecy and vote integrity."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections, models

from gongzhi.accounts.models import UserRole
from gongzhi.honours import selectors, services
from gongzhi.honours.models import (
    Ballot,
    Candidate,
    Election,
    ElectionEvent,
    ElectionStatus,
    Objection,
    Participation,
    Screening,
)
from gongzhi.honours.services import HonoursError
from tests.factories import make_user
from tests.helpers import VOTE_TO, new_election, verify, voter, voting_election

IN_WINDOW = dt.date(2026, 10, 15)


# ---- secrecy ------------------------------------------------------------------------------


def test_no_orm_path_leads_from_a_ballot_to_a_person():
    relations = [f for f in Ballot._meta.get_fields() if f.is_relation]
    assert [f.name for f in relations] == ["election"]
    names = {f.name for f in Ballot._meta.get_fields()}
    assert names == {"id", "election", "choices"}
    assert not any(isinstance(f, models.DateTimeField | models.DateField) for f in relations)
    # Nothing points at a ballot either.
    assert not [f for f in Ballot._meta.get_fields() if f.auto_created and not f.concrete]


def test_ballot_keys_are_random_uuids(world):
    election, candidates = voting_election(world)
    ballots = []
    for room in ("501", "502", "503"):
        user = voter(world, "居民" + room, room)
        ballots.append(
            services.election_vote(
                election=election, actor=user, choices=[candidates[0].pk], today=IN_WINDOW
            )
        )
    assert len({b.pk.version for b in ballots}) == 1 and ballots[0].pk.version == 4


# ---- voting -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_verified_resident_votes_once(world):
    election, candidates = voting_election(world)
    user = voter(world, "钱七", "601")
    ballot = services.election_vote(
        election=election,
        actor=user,
        choices=[candidates[1].pk, candidates[0].pk],
        today=IN_WINDOW,
    )
    assert ballot.choices == sorted([candidates[0].pk, candidates[1].pk])
    participation = Participation.objects.get(election=election)
    assert participation.voted_on == IN_WINDOW
    with pytest.raises(HonoursError) as exc:
        services.election_vote(
            election=election, actor=user, choices=[candidates[2].pk], today=IN_WINDOW
        )
    assert exc.value.code == "already_voted"
    assert Ballot.objects.count() == Participation.objects.count() == 1


@pytest.mark.parametrize("day", [dt.date(2026, 10, 9), dt.date(2026, 10, 21)])
def test_vote_outside_the_window_is_refused(world, day):
    election, candidates = voting_election(world)
    user = voter(world, "孙八", "602")
    with pytest.raises(HonoursError) as exc:
        services.election_vote(election=election, actor=user, choices=[candidates[0].pk], today=day)
    assert exc.value.code == "closed"
    assert not Ballot.objects.exists() and not Participation.objects.exists()


def test_vote_before_voting_opens_is_refused(world):
    election = new_election(world)
    user = voter(world, "孙八", "602")
    with pytest.raises(HonoursError) as exc:
        services.election_vote(election=election, actor=user, choices=[1], today=IN_WINDOW)
    assert exc.value.code == "closed"


def test_unverified_resident_may_not_vote(world):
    election, candidates = voting_election(world)
    user = voter(world, "周九", "603", verified=False)
    with pytest.raises(HonoursError) as exc:
        services.election_vote(
            election=election, actor=user, choices=[candidates[0].pk], today=IN_WINDOW
        )
    assert exc.value.code == "not_verified"
    assert not Ballot.objects.exists() and not Participation.objects.exists()


def test_staff_partners_and_other_communities_do_not_vote(world):
    election, candidates = voting_election(world)
    verify(world, world.res_a)
    for user in (world.users.staff_a, world.users.partner_a, world.users.admin):
        with pytest.raises(HonoursError) as exc:
            services.election_vote(
                election=election, actor=user, choices=[candidates[0].pk], today=IN_WINDOW
            )
        assert exc.value.code == "not_a_voter"
    outsider = make_user(
        "resident_b", role=UserRole.RESIDENT, community=world.b, resident=world.res_b
    )
    services.resident_verify(resident=world.res_b, method="id_card", actor=world.users.staff_b)
    with pytest.raises(HonoursError) as exc:
        services.election_vote(
            election=election, actor=outsider, choices=[candidates[0].pk], today=IN_WINDOW
        )
    assert exc.value.code == "not_a_voter"
    assert not Ballot.objects.exists()


@pytest.mark.parametrize(
    ("pick", "code"),
    [
        (lambda c, r: [], "invalid_choices"),
        (lambda c, r: "1", "invalid_choices"),
        (lambda c, r: [c[0].pk, c[1].pk, c[2].pk], "too_many_choices"),
        (lambda c, r: [c[0].pk, c[0].pk], "invalid_choices"),
        (lambda c, r: [r.pk], "invalid_choices"),
        (lambda c, r: ["x"], "invalid_choices"),
        (lambda c, r: [999999], "invalid_choices"),
    ],
)
def test_bad_ballots_change_nothing(world, pick, code):
    election, candidates = voting_election(world)
    rejected = election.candidates.get(screening=Screening.REJECTED)
    user = voter(world, "吴十", "604")
    with pytest.raises(HonoursError) as exc:
        services.election_vote(
            election=election, actor=user, choices=pick(candidates, rejected), today=IN_WINDOW
        )
    assert exc.value.code == code
    assert not Ballot.objects.exists() and not Participation.objects.exists()


def test_ballots_equal_participations_after_many_votes(world):
    election, candidates = voting_election(world)
    users = [voter(world, f"居民{i}", f"7{i:02d}") for i in range(12)]
    for i, user in enumerate(users):
        choices = [candidates[i % 3].pk] if i % 2 else [candidates[0].pk, candidates[1].pk]
        services.election_vote(election=election, actor=user, choices=choices, today=IN_WINDOW)
        with pytest.raises(HonoursError):
            services.election_vote(
                election=election, actor=user, choices=[candidates[2].pk], today=IN_WINDOW
            )
    assert Ballot.objects.count() == Participation.objects.count() == 12
    counts = selectors.tally(election)
    assert sum(counts.values()) == 6 * 2 + 6
    assert counts[candidates[0].pk] == 6 + 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_votes_make_one_ballot(world):
    if connection.vendor != "postgresql":
        pytest.skip("threads share one in-memory SQLite database")
    election, candidates = voting_election(world)
    users = [voter(world, f"并发{i}", f"8{i:02d}") for i in range(5)]
    errors: list[str] = []

    def cast(user):
        try:
            services.election_vote(
                election=election, actor=user, choices=[candidates[0].pk], today=IN_WINDOW
            )
        except HonoursError as exc:
            errors.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cast, args=(user,)) for user in users for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Participation.objects.count() == Ballot.objects.count() == 5
    assert errors == ["already_voted"] * 15


# ---- the state machine ----------------------------------------------------------------------


def test_full_election_to_publication(world):
    election, (zhang, li, wang) = voting_election(world, vote_weight=50)
    staff = world.users.staff_a
    picks = [[zhang.pk, li.pk], [zhang.pk], [zhang.pk, wang.pk], [li.pk]]
    for i, choices in enumerate(picks):
        user = voter(world, f"投票{i}", f"9{i:02d}")
        services.election_vote(election=election, actor=user, choices=choices, today=IN_WINDOW)
    voter(world, "未投票", "999")  # verified, did not vote

    with pytest.raises(HonoursError) as exc:
        services.election_close_voting(election=election, actor=staff, today=VOTE_TO)
    assert exc.value.code == "window_open"
    services.election_close_voting(election=election, actor=staff, today=dt.date(2026, 10, 21))
    election.refresh_from_db()
    assert election.status == ElectionStatus.ASSESSMENT
    assert election.eligible == 5
    zhang.refresh_from_db()
    assert zhang.votes == 3
    assert selectors.turnout(election) == {"voters": 4, "eligible": 5, "rate": 0.8}

    with pytest.raises(HonoursError) as exc:
        services.election_start_publicity(election=election, actor=staff)
    assert exc.value.code == "unscored"
    for candidate, score in ((zhang, 60), (li, 90), (wang, 95)):
        services.candidate_assess(candidate=candidate, committee_score=score, actor=staff)
    with pytest.raises(HonoursError) as exc:
        services.candidate_assess(candidate=zhang, committee_score=101, actor=staff)
    assert exc.value.code == "invalid_score"

    services.election_start_publicity(election=election, actor=staff, today=dt.date(2026, 10, 22))
    election.refresh_from_db()
    assert election.publicity_until == dt.date(2026, 10, 27)
    ranked = list(election.candidates.filter(screening="accepted").order_by("rank"))
    # zhang: 50×75% + 50×60 = 67.5; li: 50×50% + 50×90 = 70; wang: 50×25% + 50×95 = 60
    assert [(c.name, c.combined_score, c.elected) for c in ranked] == [
        ("李四", 70.0, True),
        ("张三", 67.5, True),
        ("王五", 60.0, False),
    ]

    objection = services.objection_raise(
        election=election,
        text="李四的事迹有夸大",
        candidate=li,
        anonymous=True,
        actor=world.users.resident_a,
        today=dt.date(2026, 10, 23),
    )
    assert objection.raised_by is None
    with pytest.raises(HonoursError) as exc:
        services.election_publish(election=election, actor=staff, today=dt.date(2026, 10, 26))
    assert exc.value.code == "publicity_running"
    with pytest.raises(HonoursError) as exc:
        services.election_publish(election=election, actor=staff, today=dt.date(2026, 10, 27))
    assert exc.value.code == "objections_open"
    services.objection_handle(objection=objection, upheld=False, outcome="经核实属实", actor=staff)
    services.election_publish(election=election, actor=staff, today=dt.date(2026, 10, 27))
    election.refresh_from_db()
    assert election.status == ElectionStatus.PUBLISHED
    assert list(ElectionEvent.objects.filter(election=election).values_list("to_status", flat=True))
    actions = list(election.events.values_list("action", flat=True))
    assert actions == [
        "create",
        "start_screening",
        "open_voting",
        "close_voting",
        "start_publicity",
        "handle_objection",
        "publish",
    ]


def test_upheld_objection_takes_the_honour_away(world):
    election, (zhang, li, wang) = voting_election(world)
    staff = world.users.staff_a
    services.election_close_voting(election=election, actor=staff, today=dt.date(2026, 10, 21))
    for candidate in (zhang, li, wang):
        services.candidate_assess(candidate=candidate, committee_score=80, actor=staff)
    services.election_start_publicity(election=election, actor=staff, today=dt.date(2026, 10, 22))
    zhang.refresh_from_db()
    assert zhang.elected
    objection = services.objection_raise(
        election=election, text="不属实", candidate=zhang, actor=world.users.resident_a
    )
    assert objection.raised_by == world.users.resident_a
    services.objection_handle(objection=objection, upheld=True, outcome="撤销", actor=staff)
    zhang.refresh_from_db()
    assert not zhang.elected
    with pytest.raises(HonoursError) as exc:
        services.objection_handle(objection=objection, upheld=True, outcome="again", actor=staff)
    assert exc.value.code == "bad_state"


def test_transitions_out_of_order_are_refused(world):
    staff = world.users.staff_a
    election = new_election(world)
    with pytest.raises(HonoursError) as exc:
        services.election_start_screening(election=election, actor=staff)
    assert exc.value.code == "no_candidates"
    for service in (
        services.election_open_voting,
        services.election_start_publicity,
        services.election_publish,
    ):
        with pytest.raises(HonoursError) as exc:
            service(election=election, actor=staff)
        assert exc.value.code == "bad_state"
    candidate = services.candidate_nominate(
        election=election, name="张三", category="helping", deeds="好人好事", actor=staff
    )
    services.election_start_screening(election=election, actor=staff)
    with pytest.raises(HonoursError) as exc:
        services.election_open_voting(election=election, actor=staff)
    assert exc.value.code == "unscreened"
    with pytest.raises(HonoursError) as exc:
        services.candidate_nominate(
            election=election, name="晚到", category="helping", deeds="x", actor=staff
        )
    assert exc.value.code == "bad_state"
    services.candidate_screen(candidate=candidate, accepted=False, note="不符合", actor=staff)
    with pytest.raises(HonoursError) as exc:
        services.election_open_voting(election=election, actor=staff)
    assert exc.value.code == "no_candidates"
    with pytest.raises(HonoursError) as exc:
        services.objection_raise(election=election, text="x", actor=staff)
    assert exc.value.code == "closed"
    election.refresh_from_db()
    assert election.status == ElectionStatus.SCREENING


def test_only_staff_of_the_community_run_an_election(world):
    for user in (world.users.staff_b, world.users.grid_a1, world.users.official):
        with pytest.raises(HonoursError) as exc:
            new_election(world, actor=user)
        assert exc.value.code == "forbidden"
    election = new_election(world)
    with pytest.raises(HonoursError) as exc:
        services.election_start_screening(election=election, actor=world.users.staff_b)
    assert exc.value.code == "forbidden"
    # A resident of the community may nominate a neighbour; one of another may not.
    services.candidate_nominate(
        election=election,
        name="",
        resident=world.res_y1b,
        category="filial",
        deeds="照顾瘫痪婆婆十年",
        actor=world.users.resident_a,
    )
    assert Candidate.objects.get().name == "赵敏"
    with pytest.raises(HonoursError) as exc:
        services.candidate_nominate(
            election=election, name="x", category="filial", deeds="x", actor=world.users.staff_b
        )
    assert exc.value.code == "forbidden"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"title": "  "}, "invalid"),
        ({"max_choices": 0}, "invalid"),
        ({"seats": 0}, "invalid"),
        ({"vote_to": dt.date(2026, 10, 1)}, "invalid"),
        ({"vote_weight": 120}, "invalid"),
        ({"publicity_days": 3}, "invalid"),
    ],
)
def test_bad_election_settings_are_refused(world, overrides, code):
    with pytest.raises(HonoursError) as exc:
        new_election(world, **overrides)
    assert exc.value.code == code
    assert not Election.objects.exists()


def test_bad_nominations_are_refused(world):
    election = new_election(world)
    staff = world.users.staff_a
    for fields in (
        {"name": "张三", "category": "nope", "deeds": "x"},
        {"name": "张三", "category": "helping", "deeds": " "},
        {"name": "", "category": "helping", "deeds": "x"},
        {"name": "吴刚", "category": "helping", "deeds": "x", "resident": world.res_b},
    ):
        with pytest.raises(HonoursError):
            services.candidate_nominate(election=election, actor=staff, **fields)
    assert not Candidate.objects.exists()
    assert not Objection.objects.exists()


def test_resident_verification_needs_staff_of_the_community(world):
    with pytest.raises(HonoursError):
        services.resident_verify(
            resident=world.res_a, method="committee", actor=world.users.staff_b
        )
    with pytest.raises(HonoursError):
        services.resident_verify(resident=world.res_a, method="x", actor=world.users.staff_a)
    first = services.resident_verify(
        resident=world.res_a, method="committee", actor=world.users.staff_a
    )
    again = services.resident_verify(
        resident=world.res_a, method="id_card", actor=world.users.staff_a
    )
    assert first.pk == again.pk and again.method == "committee"

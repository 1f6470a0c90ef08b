"""The demo's projects and experiences on the persona world: the paper's 18 projects by kind,
all completed or closed, with votes, ratings, supervision, park labour; 300+ experiences."""

import random

from gongzhi.core.places import Place
from gongzhi.experiences.demo import seed_experiences
from gongzhi.experiences.models import Experience
from gongzhi.experiences.overview import experiences_section
from gongzhi.projects.demo import seed_projects
from gongzhi.projects.models import CoBuilding, Project, Stage
from gongzhi.projects.overview import projects_section


def test_seed_projects_and_experiences(world):
    projects = seed_projects(world.a, rng=random.Random(1))
    assert len(projects) == 18
    place = Place("community", world.a.pk)
    assert projects_section(place)["projects"] == {
        "micro_renovation": 4,
        "micro_service": 4,
        "micro_wish": 3,
        "micro_space": 4,
        "micro_governance": 3,
    }
    assert set(Project.objects.values_list("stage", flat=True)) <= {Stage.COMPLETED, Stage.CLOSED}
    titles = set(Project.objects.values_list("title", flat=True))
    assert {"垃圾中转站改造", "非机动车棚建设", "电梯安全检测与维修", "共同缔造公园"} <= titles
    park = Project.objects.get(title="共同缔造公园")
    assert CoBuilding.objects.filter(project=park).count() == 4
    from gongzhi.volunteering.models import ServiceRecord

    assert ServiceRecord.objects.filter(activity__source=f"project:{park.pk}").exists()
    closed = Project.objects.filter(stage=Stage.CLOSED).first()
    assert closed.votes_support + closed.votes_oppose == closed.votes.count() > 0
    assert closed.rating_count == closed.ratings.count()
    assert seed_projects(world.a, rng=random.Random(1)) == []  # idempotent
    assert seed_experiences(world.a, rng=random.Random(2)) >= 300
    assert experiences_section(place)["experiences"] == Experience.objects.count() >= 300
    assert Experience.objects.filter(project__title="共同缔造公园").exists()
    assert seed_experiences(world.a, rng=random.Random(2)) == 0

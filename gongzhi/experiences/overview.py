"""The ``experiences`` overview section: how many entries the experience library holds."""

from gongzhi.accounts.scope import narrow
from gongzhi.core.places import Place


def experiences_section(place: Place | None) -> dict:
    from gongzhi.experiences.models import Experience

    return {"experiences": narrow(Experience.objects.all(), place).count()}

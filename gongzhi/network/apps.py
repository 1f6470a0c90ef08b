from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "gongzhi.network"
    label = "network"
    verbose_name = _("collaboration network")

    def ready(self) -> None:
        from gongzhi.network import cache

        # Stored networks are dropped when this process changes what they are built from.
        cache.watch()
        # The monthly metrics are one step of ``gongzhi rollup`` when the insights app is on.
        if not apps.is_installed("gongzhi.insights"):
            return
        from gongzhi.insights.rollup import STEPS
        from gongzhi.network.services import snapshot_step

        if snapshot_step not in STEPS:
            STEPS.append(snapshot_step)

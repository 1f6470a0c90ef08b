from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "gongzhi.network"
    label = "network"
    verbose_name = _("collaboration network")

    def ready(self) -> None:
        from gongzhi.network import cache

        # Stored networks are dropped when this process changes what they are built from.
        cache.watch()
        # Its monthly metrics are a step of ``gongzhi rollup``: the insights app adds it.

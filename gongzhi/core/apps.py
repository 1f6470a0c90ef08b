from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "gongzhi.core"
    label = "core"

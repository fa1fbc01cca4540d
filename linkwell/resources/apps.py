from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "linkwell.resources"
    label = "resources"
    verbose_name = "Waiting-room resources"

from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "linkwell.directory"
    label = "directory"
    verbose_name = "Community directory"

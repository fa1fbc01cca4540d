from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "linkwell.directory"
    label = "directory"
    verbose_name = "Community directory"

    def ready(self):
        from linkwell.directory import services  # noqa: F401  (how the outbox checks its requests)

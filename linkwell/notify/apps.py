from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "linkwell.notify"
    label = "notify"
    verbose_name = "Messages"

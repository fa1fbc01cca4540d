from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "linkwell.people"
    label = "people"
    verbose_name = "People referred"

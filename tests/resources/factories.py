import datetime

import factory


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "resources.Resource"
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Resource {n:03d}")
    summary = "Help you can use now."
    format = "phone"
    phone = "01632 960001"
    review_date = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=100))

    @factory.post_generation
    def needs(obj, create, extracted, **kwargs):
        from linkwell.directory.taxonomy import term_id

        if create and extracted:
            obj.need_areas.set([term_id(code) for code in extracted])

from django.contrib import admin

from linkwell.geo.models import Postcode


@admin.register(Postcode)
class PostcodeAdmin(admin.ModelAdmin):
    list_display = ["postcode", "latitude", "longitude", "source", "updated_at"]
    list_filter = ["source"]
    search_fields = ["postcode"]
    show_full_result_count = False

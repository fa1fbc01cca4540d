from django.contrib import admin

from linkwell.notify.models import OutgoingMessage


@admin.register(OutgoingMessage)
class OutgoingMessageAdmin(admin.ModelAdmin):
    """Read-only: the outbox is written by the app, and a failed message is tried again from
    the "Messages not sent" page."""

    list_display = ["created_at", "kind", "to_address", "status", "attempts", "scheme"]
    list_filter = ["status", "kind"]
    search_fields = ["to_address", "about_id", "reference"]
    date_hierarchy = "created_at"
    exclude = ["body", "personalisation"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

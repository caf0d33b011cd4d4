from django.contrib import admin

from helpdesk.models import ErrorComment, ErrorItem, ErrorOccurrence


class OccurrenceInline(admin.TabularInline):
    model = ErrorOccurrence
    extra = 0
    raw_id_fields = ("submission",)


class CommentInline(admin.TabularInline):
    model = ErrorComment
    extra = 0


@admin.register(ErrorItem)
class ErrorItemAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "kind", "integration", "state", "occurrences", "last_seen")
    list_filter = ("kind", "state", "channel")
    search_fields = ("code", "title", "fingerprint")
    raw_id_fields = ("integration", "last_submission", "assignee")
    inlines = [CommentInline, OccurrenceInline]

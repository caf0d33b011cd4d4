"""Paging of every list (issue 18 point 14): sort order and page from the request, and a page
size the person chose among PAGE_SIZES (any other value, a crafted one included, falls back to
the list's own size)."""

from django.core.paginator import EmptyPage, PageNotAnInteger
from django_tables2 import RequestConfig

PAGE_SIZES = (25, 50, 100)


def paginate(request, table, *, per_page: int):
    RequestConfig(request, paginate=False).configure(table)  # sort order
    size = request.GET.get(table.prefixed_per_page_field, "")
    if size in {str(s) for s in PAGE_SIZES}:
        per_page = int(size)
    page = request.GET.get(table.prefixed_page_field, "1")
    try:
        table.paginate(page=page, per_page=per_page)
    except PageNotAnInteger:
        table.paginate(page=1, per_page=per_page)
    except EmptyPage:
        table.page = table.paginator.page(table.paginator.num_pages)
    return table

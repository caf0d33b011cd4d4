"""Paging of every list (issue 18 point 14): sort order and page from the request, and a page
size the person chose among PAGE_SIZES (any other value, a crafted one included, falls back to
the list's own size)."""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.db.models.query import ModelIterable
from django_tables2 import RequestConfig

PAGE_SIZES = (25, 50, 100)


class KeysFirstPaginator(Paginator):
    """A deep page reads its primary keys first, then only its own rows (issue 22.6).

    With OFFSET the database builds and throws away every row before the page: for page 200
    of the upload history, 10,000 submissions joined to their integration, municipality and
    duplicate. From ``deep_offset`` rows on, the page's keys are read alone in the list's
    order (narrow index rows), then its rows are fetched by key with their joins and put back
    in that order. Same rows, same order, one more query; shallow pages are unchanged.
    """

    deep_offset = 500

    def _get_page(self, object_list, number, paginator):
        page = super()._get_page(object_list, number, paginator)
        rows = page.object_list
        sliced = getattr(rows, "data", None)  # django-tables2's BoundRows over a sliced queryset
        if (
            not isinstance(sliced, QuerySet)
            or sliced.query.low_mark < self.deep_offset
            or sliced._result_cache is not None
            or sliced._iterable_class is not ModelIterable  # .values() rows have no .pk
            or sliced.query.combinator  # a union cannot be filtered by key
        ):
            return page
        keys = list(sliced.values_list("pk", flat=True))
        whole = sliced._chain()
        whole.query.clear_limits()
        by_key = {obj.pk: obj for obj in whole.order_by().filter(pk__in=keys)}
        rows.data = [by_key[key] for key in keys if key in by_key]
        return page


def paginate(request, table, *, per_page: int):
    RequestConfig(request, paginate=False).configure(table)  # sort order
    size = request.GET.get(table.prefixed_per_page_field, "")
    if size in {str(s) for s in PAGE_SIZES}:
        per_page = int(size)
    page = request.GET.get(table.prefixed_page_field, "1")
    options = {"paginator_class": KeysFirstPaginator, "per_page": per_page}
    try:
        table.paginate(page=page, **options)
    except PageNotAnInteger:
        table.paginate(page=1, **options)
    except EmptyPage:
        table.page = table.paginator.page(table.paginator.num_pages)
    return table

"""One csrf-exempt view that inserts a row into a trivial table (``bench_item``)."""

from django.db import models
from django.http import JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt


class BenchItem(models.Model):
    title = models.CharField(max_length=200)
    body = models.TextField()
    created = models.DateTimeField()

    class Meta:
        app_label = "core"
        db_table = "bench_item"
        managed = False

    def __str__(self) -> str:
        return self.title


@csrf_exempt
def insert(request):
    item = BenchItem.objects.create(
        title="bench", body=request.body.decode()[:500], created=timezone.now()
    )
    return JsonResponse({"id": item.pk}, status=201)


urlpatterns = [path("items", insert)]

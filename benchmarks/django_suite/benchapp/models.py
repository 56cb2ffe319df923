"""The Django twin of ``benchmarks.schema.Item``."""

from __future__ import annotations

from django.db import models


class Item(models.Model):
    name = models.CharField(max_length=50)

    class Meta:
        app_label = "benchapp"
        db_table = "bench_django_item"

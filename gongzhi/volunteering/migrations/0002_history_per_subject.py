# One history table per subject, each a core.models.HistoryEvent with a real foreign key, in
# place of VolunteeringEvent's string subject ("record:5"). Every old row whose subject still
# exists moves to its table (at, actor, action, note and data kept; from_status and to_status
# were not recorded, so they stay blank). Rows whose subject no longer exists (or an unknown
# kind of subject) stay where they are, in the table now called LegacyVolunteeringEvent; the
# migration prints how many. All five tables are append-only from now on (AppendOnly last).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from gongzhi.core.appendonly import AppendOnly

# The old subject's prefix: (the new model, its foreign key, the subject's model).
SUBJECTS = {
    "activity": ("ActivityEvent", "activity", "Activity"),
    "record": ("RecordEvent", "record", "ServiceRecord"),
    "claim": ("ClaimEvent", "claim", "PointsClaim"),
    "star": ("StarEvent", "award", "StarAward"),
}


def move_to_subject_tables(apps, schema_editor):
    old = apps.get_model("volunteering", "VolunteeringEvent")
    moved, kept = [], 0
    for row in old.objects.order_by("id").iterator():
        kind, _, pk = row.subject.partition(":")
        target = SUBJECTS.get(kind)
        subject_model = apps.get_model("volunteering", target[2]) if target else None
        if subject_model is None or not pk.isdigit():
            kept += 1
            continue
        if not subject_model.objects.filter(pk=int(pk)).exists():
            kept += 1
            continue
        apps.get_model("volunteering", target[0]).objects.create(
            **{f"{target[1]}_id": int(pk)},
            at=row.at,
            actor_id=row.actor_id,
            action=row.action,
            note=row.note,
            data=row.data,
        )
        moved.append(row.pk)
    old.objects.filter(pk__in=moved).delete()
    if moved or kept:
        print(f"\n  volunteering history: {len(moved)} rows moved, {kept} kept (no subject)")


def move_back(apps, schema_editor):
    old = apps.get_model("volunteering", "VolunteeringEvent")
    for kind, (model_name, field, _subject) in SUBJECTS.items():
        for row in apps.get_model("volunteering", model_name).objects.order_by("id"):
            old.objects.create(
                subject=f"{kind}:{getattr(row, field + '_id')}",
                at=row.at,
                actor_id=row.actor_id,
                action=row.action,
                note=row.note[:200],
                data=row.data,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("volunteering", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ActivityEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(db_index=True)),
                ("action", models.CharField(max_length=30)),
                ("from_status", models.CharField(blank=True, max_length=20)),
                ("to_status", models.CharField(blank=True, max_length=20)),
                ("note", models.TextField(blank=True)),
                ("data", models.JSONField(blank=True, default=dict)),
                (
                    "activity",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="volunteering.activity",
                    ),
                ),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "activity event",
                "verbose_name_plural": "activity events",
                "ordering": ["at", "id"],
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="ClaimEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(db_index=True)),
                ("action", models.CharField(max_length=30)),
                ("from_status", models.CharField(blank=True, max_length=20)),
                ("to_status", models.CharField(blank=True, max_length=20)),
                ("note", models.TextField(blank=True)),
                ("data", models.JSONField(blank=True, default=dict)),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "claim",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="volunteering.pointsclaim",
                    ),
                ),
            ],
            options={
                "verbose_name": "points claim event",
                "verbose_name_plural": "points claim events",
                "ordering": ["at", "id"],
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="RecordEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(db_index=True)),
                ("action", models.CharField(max_length=30)),
                ("from_status", models.CharField(blank=True, max_length=20)),
                ("to_status", models.CharField(blank=True, max_length=20)),
                ("note", models.TextField(blank=True)),
                ("data", models.JSONField(blank=True, default=dict)),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "record",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="volunteering.servicerecord",
                    ),
                ),
            ],
            options={
                "verbose_name": "service record event",
                "verbose_name_plural": "service record events",
                "ordering": ["at", "id"],
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="StarEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(db_index=True)),
                ("action", models.CharField(max_length=30)),
                ("from_status", models.CharField(blank=True, max_length=20)),
                ("to_status", models.CharField(blank=True, max_length=20)),
                ("note", models.TextField(blank=True)),
                ("data", models.JSONField(blank=True, default=dict)),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "award",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="volunteering.staraward",
                    ),
                ),
            ],
            options={
                "verbose_name": "star award event",
                "verbose_name_plural": "star award events",
                "ordering": ["at", "id"],
                "abstract": False,
            },
        ),
        migrations.RunPython(move_to_subject_tables, move_back, elidable=False),
        migrations.RemoveIndex(model_name="volunteeringevent", name="volunteering_event_subject"),
        migrations.RenameModel(old_name="VolunteeringEvent", new_name="LegacyVolunteeringEvent"),
        migrations.AlterModelOptions(
            name="legacyvolunteeringevent",
            options={
                "ordering": ["id"],
                "verbose_name": "volunteering event (legacy)",
                "verbose_name_plural": "volunteering events (legacy)",
            },
        ),
        AppendOnly("activityevent"),
        AppendOnly("recordevent"),
        AppendOnly("claimevent"),
        AppendOnly("starevent"),
        AppendOnly("legacyvolunteeringevent"),
    ]

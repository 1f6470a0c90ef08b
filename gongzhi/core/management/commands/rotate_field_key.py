"""Re-encrypt personal data with the newest GONGZHI_FIELD_KEY and recompute ID-number digests.

Rotation: put the new key first in GONGZHI_FIELD_KEY (``new,old``), restart, run this command,
then drop the old key.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from gongzhi.core import crypto
from gongzhi.core.fields import EncryptedTextField


def _encrypted_fields():
    from django.apps import apps

    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            yield model, names


class Command(BaseCommand):
    help = "Re-encrypt personal data with the newest field key and recompute digests."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, batch_size: int, **options):
        total = 0
        for model, names in _encrypted_fields():
            has_digest = any(f.name == "id_number_digest" for f in model._meta.concrete_fields)
            fields = names + (["id_number_digest"] if has_digest else [])
            with transaction.atomic():
                batch = []
                # Reading decrypts with any listed key; saving encrypts with the newest one.
                for row in model.objects.only("pk", *names).iterator(chunk_size=batch_size):
                    if has_digest:
                        row.id_number_digest = (
                            crypto.digest(row.id_number) if row.id_number else None
                        )
                    batch.append(row)
                    if len(batch) >= batch_size:
                        model.objects.bulk_update(batch, fields)
                        total += len(batch)
                        batch = []
                if batch:
                    model.objects.bulk_update(batch, fields)
                    total += len(batch)
        self.stdout.write(f"已重新加密 {total} 条记录")

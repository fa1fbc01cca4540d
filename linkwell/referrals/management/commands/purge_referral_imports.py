"""Forget what CSV imports hold about people once it is no longer needed (run it daily).

An upload nobody imported or cancelled keeps the whole file's text; an import keeps its rejected
rows' cells for the download. After `--days` (default 14) the first is deleted and the second's
cells are cleared (the counts and the reasons stay, for the record).
"""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from linkwell.core.audit import log_action
from linkwell.referrals.models import ReferralImport


class Command(BaseCommand):
    help = "Delete abandoned CSV uploads and clear old imports' rejected rows."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=14)

    def handle(self, *args, days, **options):
        before = timezone.now() - timedelta(days=max(days, 1))
        with transaction.atomic():
            abandoned = ReferralImport.objects.filter(
                created_at__lt=before,
                state__in=[ReferralImport.State.UPLOADED, ReferralImport.State.PREVIEWED],
            )
            deleted = 0
            for imp in abandoned.select_related("scheme"):
                log_action(
                    None,
                    "referral_import.purged",
                    imp,
                    {"rows": imp.row_count},
                    actor_label="purge_referral_imports",
                )
                imp.delete()
                deleted += 1
            cleared = 0
            for imp in ReferralImport.objects.filter(created_at__lt=before).exclude(error_rows=[]):
                if not any(row.get("cells") for row in imp.error_rows) and not imp.content:
                    continue
                imp.error_rows = [
                    {"row": row["row"], "cells": [], "problems": row["problems"]}
                    for row in imp.error_rows
                ]
                imp.content = ""
                imp.save(update_fields=["error_rows", "content"])
                cleared += 1
        self.stdout.write(
            f"Deleted {deleted} abandoned uploads; cleared rows of {cleared} imports."
        )

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class LeadcrmConfig(AppConfig):
    name = "leadcrm"
    verbose_name = "LeadCRM"

    def ready(self) -> None:
        # Setup after migrate, like Django's own create_permissions; not business flow.
        # Connected for every app: an app's permissions exist only after its own post_migrate.
        post_migrate.connect(managers_group_sync_after_migrate, dispatch_uid="leadcrm_managers_group")


def managers_group_sync_after_migrate(*, app_config, using: str = "default", **kwargs) -> None:
    from leadcrm.roles import MANAGED_APPS, managers_group_sync

    if app_config.label in MANAGED_APPS:
        managers_group_sync(using=using)

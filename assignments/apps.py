from django.apps import AppConfig


class AssignmentsConfig(AppConfig):
    name = "assignments"
    verbose_name = "Sales floor"

    def ready(self) -> None:
        from assignments.handoffs import SalesFloor
        from campaigns.floor_hooks import floor_register

        floor_register(SalesFloor())

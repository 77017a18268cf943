"""Shapes of the report rows, for the OpenAPI schema: generated from the page tables' columns (reporting/tables.py),
so the API and the pages cannot drift. A row is the table's fields plus `key`, the group's machine name."""

from rest_framework import serializers

from reporting.tables import REPORTS, Column, Table

KEY_HELP = ("The group: campaign slug, supplier name, buyer name, username, team name, persona slug, hour (00-23), "
            "weekday (Mon-Sun), bucket, rule id...")


def api_field(column: Column) -> serializers.Field:
    """The serializer field documenting one column: its type from the column's kind, its help, null and required."""
    help_text = column.help
    if column.kind == "pct":
        help_text = f"{help_text} (percent, 2 decimals)."
    elif column.kind in ("money", "number"):
        help_text = f"{help_text} (2 decimals)."
    description = help_text or None
    required = False if column.optional else None  # None: DRF's default (required unless it has a default)
    if column.each:
        return serializers.DictField(child=serializers.IntegerField(), help_text=description, required=required)
    if column.kind == "text":
        return serializers.CharField(allow_null=column.nullable, help_text=description, required=required)
    if column.kind == "int" or column.whole:
        return serializers.IntegerField(allow_null=column.nullable, help_text=description, required=required)
    return serializers.FloatField(allow_null=column.nullable, help_text=description, required=required)


def row_serializer(name: str, table: Table) -> type[serializers.Serializer]:
    """A serializer class named `name` (the schema calls it `name` minus "Serializer") with key + the fields."""
    fields: dict[str, serializers.Field] = {"key": serializers.CharField(help_text=KEY_HELP)}
    fields.update((column.key, api_field(column)) for column in table.fields)
    return type(name, (serializers.Serializer,), {**fields, "__module__": __name__})


def api_fields(table: Table) -> list[str]:
    """The keys of an API row of the table, in order."""
    return ["key", *(column.key for column in table.fields)]


SpeedRowSerializer = row_serializer("SpeedRowSerializer", REPORTS["speed-to-lead"].table_named("main"))
ConversionRowSerializer = row_serializer("ConversionRowSerializer",
                                         REPORTS["conversion-by-speed"].table_named("main"))
# Suppliers and campaigns share their columns (reporting.tables.SOURCE_COLUMNS), so one schema component.
SourceRowSerializer = row_serializer("SourceRowSerializer", REPORTS["suppliers"].table_named("main"))
BuyerRowSerializer = row_serializer("BuyerRowSerializer", REPORTS["buyers"].table_named("main"))
RepRowSerializer = row_serializer("RepRowSerializer", REPORTS["reps"].table_named("main"))
FairnessRowSerializer = row_serializer("FairnessRowSerializer", REPORTS["reps"].table_named("fairness"))
SlaRowSerializer = row_serializer("SlaRowSerializer", REPORTS["sla"].table_named("main"))
DeclineRowSerializer = row_serializer("DeclineRowSerializer", REPORTS["reps"].table_named("declines"))
# Follow-up by rep and by campaign share their columns but for the label's header: one schema component.
FollowUpRowSerializer = row_serializer("FollowUpRowSerializer", REPORTS["follow-up"].table_named("main"))
AttemptsRowSerializer = row_serializer("AttemptsRowSerializer", REPORTS["follow-up"].table_named("attempts"))


def rows_of(row: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """A {"rows": [row, ...]} response serializer."""
    return type(name, (serializers.Serializer,), {"rows": row(many=True)})


class ReportErrorsSerializer(serializers.Serializer):
    # SerializerMetaclass pops declared fields from the class namespace, so this does not shadow
    # Serializer.errors at runtime; the stubs cannot express that.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Per parameter, e.g. {"group_by": ["Select a valid choice. ..."]}.')

"""Serializer of the partner API's faulty parts owed back (旧件返还). Read-only; never the cost."""

from rest_framework import serializers

from ...models import FaultyPartReturn


class FaultyReturnSerializer(serializers.ModelSerializer):
    part_number = serializers.CharField(source="part.number", read_only=True, help_text="配件编号")
    part_name = serializers.CharField(source="part.name_zh", read_only=True, help_text="配件名称")
    owed_by_unit = serializers.CharField(
        source="owed_by_unit.code", read_only=True, help_text="返还单位编码"
    )

    class Meta:
        model = FaultyPartReturn
        fields = [
            "id",
            "part",
            "part_number",
            "part_name",
            "faulty_serial",
            "new_serial",
            "owed_by_unit",
            "due_on",
            "state",
            "source_label",
            "created_at",
            "closed_at",
        ]
        read_only_fields = fields

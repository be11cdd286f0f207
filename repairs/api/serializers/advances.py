"""Serializers of the read-only API of advances (借支) and expense claims (报销): what the
claimant sees of their own documents (where each is: the current round's steps, the deduction,
the payment). Every field is read-only: states change through the services and the pages."""

from rest_framework import serializers

from ...models.advances import Advance, ExpenseClaim, ExpenseLine, MoneyStep


class MoneyStepSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="name_text", read_only=True)
    org_unit = serializers.CharField(source="org_unit.name", read_only=True)

    class Meta:
        model = MoneyStep
        fields = ["position", "name", "role", "org_unit", "condition", "state", "decided_at"]
        read_only_fields = fields


def _current_steps(doc) -> list:
    steps = [s for s in doc.steps.all() if s.round == doc.round]
    return MoneyStepSerializer(sorted(steps, key=lambda s: s.position), many=True).data


class AdvanceSerializer(serializers.ModelSerializer):
    requester = serializers.CharField(source="requester.username", read_only=True)
    outstanding = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    steps = serializers.SerializerMethodField(help_text="本轮审批步骤")

    class Meta:
        model = Advance
        fields = [
            "id",
            "number",
            "requester",
            "amount",
            "purpose",
            "trip_destination",
            "trip_start",
            "trip_end",
            "state",
            "submitted_at",
            "approved_at",
            "paid_on",
            "settled_amount",
            "outstanding",
            "steps",
        ]
        read_only_fields = fields

    def get_steps(self, obj) -> list:
        return _current_steps(obj)


class ExpenseLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExpenseLine
        fields = ["id", "category", "spent_on", "days", "amount", "note", "over_by"]
        read_only_fields = fields


class ExpenseClaimSerializer(serializers.ModelSerializer):
    requester = serializers.CharField(source="requester.username", read_only=True)
    advance = serializers.CharField(source="advance.number", read_only=True, default=None)
    lines = ExpenseLineSerializer(many=True, read_only=True)
    steps = serializers.SerializerMethodField(help_text="本轮审批步骤")

    class Meta:
        model = ExpenseClaim
        fields = [
            "id",
            "number",
            "requester",
            "advance",
            "note",
            "state",
            "total",
            "over_limit",
            "submitted_at",
            "approved_at",
            "paid_on",
            "deducted",
            "net_paid",
            "lines",
            "steps",
        ]
        read_only_fields = fields

    def get_steps(self, obj) -> list:
        return _current_steps(obj)

"""Core API: the company working-day calendar, for partners who must meet our time limits."""

from datetime import date

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from service_ops.workcalendar import clock
from service_ops.workcalendar.models import CalendarYear

from .serializers import (
    AddWorkingDaysQuerySerializer,
    AddWorkingDaysSerializer,
    WorkingDayQuerySerializer,
    WorkingDaySerializer,
)

BAD_INPUT = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="参数错误：按字段列出原因",
    examples=[
        OpenApiExample(
            "字段错误",
            value={"days": ["请确保该值小于或者等于 365。"], "start": ["时间格式无效…"]},
        )
    ],
)


def _any_provisional(first: date, last: date) -> bool:
    """Whether any year from first to last is unconfirmed (or not seeded: that would be seeded
    provisional on demand)."""
    years = range(first.year, last.year + 1)
    confirmed = CalendarYear.objects.filter(year__in=years, provisional=False).count()
    return confirmed < len(years)


class WorkingDayView(APIView):
    @extend_schema(
        tags=["calendar"],
        summary="是否工作日",
        description="按公司日历判断某日是否为工作日（含法定调休补班）。",
        parameters=[WorkingDayQuerySerializer],
        responses={200: WorkingDaySerializer, 400: BAD_INPUT},
        examples=[
            OpenApiExample(
                "国庆调休补班",
                value={"date": "2026-10-10", "is_working_day": True, "provisional": False},
                response_only=True,
            )
        ],
    )
    def get(self, request):
        query = WorkingDayQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        day = query.validated_data["date"]
        working = clock.is_working_day(day)
        return Response(
            WorkingDaySerializer(
                {"date": day, "is_working_day": working, "provisional": _any_provisional(day, day)}
            ).data
        )


class AddWorkingDaysView(APIView):
    @extend_schema(
        tags=["calendar"],
        summary="加 N 个工作日",
        description=(
            "从开始时间起的第 N 个工作日的下班时间（默认 18:00 Asia/Shanghai）。"
            "开始当天不计入，无论是否工作日。例：2026-09-30 起 3 个工作日 → 2026-10-10 18:00。"
        ),
        parameters=[AddWorkingDaysQuerySerializer],
        responses={200: AddWorkingDaysSerializer, 400: BAD_INPUT},
        examples=[
            OpenApiExample(
                "国庆前收货，3 个工作日",
                value={
                    "start": "2026-09-30T10:00:00+08:00",
                    "days": 3,
                    "due": "2026-10-10T18:00:00+08:00",
                    "provisional": False,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        query = AddWorkingDaysQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, days = query.validated_data["start"], query.validated_data["days"]
        due = clock.add_working_days(start, days)
        provisional = _any_provisional(clock.local_date(start), clock.local_date(due))
        return Response(
            AddWorkingDaysSerializer(
                {"start": start, "days": days, "due": due, "provisional": provisional}
            ).data
        )

"""Core API: the company working-day calendar, for partners who must meet our time limits."""

from datetime import date

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from service_ops import work
from service_ops.workcalendar import clock
from service_ops.workcalendar.models import CalendarYear

from .serializers import (
    AddWorkingDaysQuerySerializer,
    AddWorkingDaysSerializer,
    MyWorkSerializer,
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


class MyWorkView(APIView):
    """我的工作 for the caller: the same list, counts and order as the page at /."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["my-work"],
        summary="我的工作",
        description=(
            "等您处理的全部事项（各模块汇总）：超期在前，再按到期时间；无时限的按等待时长。"
            "`show` 按到期筛选（overdue / soon / later / waiting），`kind` 按事项筛选，"
            "`page` 翻页（每页 25 条）。"
        ),
        parameters=[
            OpenApiParameter("show", str, enum=list(work.GROUPS), required=False),
            OpenApiParameter("kind", str, required=False),
            OpenApiParameter("page", int, required=False),
        ],
        responses={200: MyWorkSerializer},
    )
    def get(self, request):
        mywork = work.work_of(request.user)
        show = request.query_params.get("show", "")
        kind = request.query_params.get("kind", "")
        if show and show not in work.GROUPS:
            raise ValidationError({"show": [f"可选值：{', '.join(work.GROUPS)}"]})
        page = mywork.page(request.query_params.get("page"), group=show, kind=kind)

        def link(number):
            return request.build_absolute_uri(
                f"?{_query(request, page=number)}" if number else None
            )

        return Response(
            MyWorkSerializer(
                {
                    "count": page.paginator.count,
                    "total": mywork.total,
                    "capped": mywork.capped,
                    "counts": mywork.counts,
                    "kinds": [
                        {"name": n, "label": str(lb), "count": c} for n, lb, c in mywork.kinds
                    ],
                    "next": link(page.next_page_number()) if page.has_next() else None,
                    "previous": link(page.previous_page_number()) if page.has_previous() else None,
                    "results": [item.as_dict() for item in page.object_list],
                }
            ).data
        )


def _query(request, **changes) -> str:
    params = request.query_params.copy()
    for key, value in changes.items():
        params[key] = value
    return params.urlencode()

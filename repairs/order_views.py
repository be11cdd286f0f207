"""Repair-order screens (technician queue, clerk board, lot, review, statements)."""

from django.http import HttpResponse


def order_detail(request, pk):
    return HttpResponse("todo")


def lot_detail(request, pk):
    return HttpResponse("todo")


def review_detail(request, pk):
    return HttpResponse("todo")


def statement_detail(request, pk):
    return HttpResponse("todo")

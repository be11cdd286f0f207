from django.http import HttpResponse


def return_list(request):
    return HttpResponse("todo")


def return_detail(request, pk):
    return HttpResponse("todo")


def arrival_detail(request, pk):
    return HttpResponse("todo")


def returned_stock_list(request):
    return HttpResponse("todo")

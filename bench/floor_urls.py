"""Bench-only URLs: the product's, plus a floor view that inserts one lead with no checks at all."""

import json

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from campaigns.models import Lead
from leadcrm.urls import urlpatterns as product_urlpatterns


@csrf_exempt
def floor_insert(request: HttpRequest) -> JsonResponse:
    """Parse the JSON body and insert it as a lead: the cost of Django + one row, for comparison with intake."""
    data = json.loads(request.body)
    with transaction.atomic():
        lead = Lead.objects.create(campaign_id=data["campaign_id"], supplier_id=data["supplier_id"],
                                   first_name=data["first_name"], last_name=data["last_name"],
                                   email=data["email"], phone=data["phone"], country=data["country"])
    return JsonResponse({"id": lead.pk, "status": "accepted"}, status=201)


urlpatterns = [path("bench/floor/", floor_insert), *product_urlpatterns]

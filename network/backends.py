"""The session's authentication backend: Django's ModelBackend, whose user comes with its staff
profile and org unit in the same query (every page asked for the user, then for its profile:
network.visibility.user_org_unit reads the cached one)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class StaffModelBackend(ModelBackend):
    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("profile__org_unit")
        user = users.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None

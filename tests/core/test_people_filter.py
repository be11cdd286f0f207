"""The `person` builtin filter: a name for a user, and nothing (not a 500) for no user."""

import pytest
from django.contrib.auth import get_user_model
from django.template import engines


def render(source, **context):
    return engines["django"].from_string(source).render(context)


def test_a_missing_person_renders_empty_and_falls_through_to_the_default():
    assert render('{{ step.decided_by|person|default:"—" }}', step=None) == "—"
    assert render("{{ nobody|person }}", nobody=None) == ""


@pytest.mark.django_db
def test_a_person_shows_the_full_name_else_the_username():
    User = get_user_model()
    named = User(username="li.lei", first_name="雷", last_name="李")
    plain = User(username="han.meimei")
    assert render("{{ u|person }}", u=named) == named.get_full_name()
    assert render("{{ u|person }}", u=plain) == "han.meimei"

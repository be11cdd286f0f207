def shell(request):
    """What the page shell needs: unread count for the bell and the user's roles for navigation."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    from network.selectors import held_roles
    from service_ops.notifications.services import unread_count

    return {"unread_count": unread_count(user), "my_roles": held_roles(user)}

"""The view-side use of the permission module: a decorator that every scheme page uses."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from linkwell.core.permissions import Perm, require


def scheme_view(perm: Perm):
    """The view needs a signed-in user whose role in the active scheme grants `perm`."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.membership is None:
                raise PermissionDenied("You are not a member of any scheme.")
            require(request.membership, perm)
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator

"""The inbox page (消息): the user's own messages, newest first; opening marks them read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from zhufang.notifications.services import inbox, mark_read


@login_required
def inbox_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        mark_read(request.user)
        return redirect("notifications:inbox")
    messages = list(inbox(request.user)[:200])
    return render(request, "notifications/inbox.html", {"messages_list": messages})

from django.shortcuts import render

from .models import Contact


def home(request):
    """Show the start page of the contact book."""
    return render(request, "crm/home.html", {"contact_count": Contact.objects.count()})

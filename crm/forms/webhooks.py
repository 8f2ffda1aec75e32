"""The form of a webhook subscription: its URL, the events it receives, whether it is active."""

from django import forms

from ..models import Webhook

NOT_A_URL = "Enter a full http:// or https:// address, such as https://example.org/hooks/crm."


class WebhookForm(forms.ModelForm):
    url = forms.URLField(
        label="URL",
        max_length=Webhook._meta.get_field("url").max_length,
        assume_scheme="https",
        error_messages={"invalid": NOT_A_URL},
        widget=forms.URLInput(attrs={"placeholder": "https://example.org/hooks/crm"}),
        help_text="Receives a JSON POST for each event, signed with the secret below.",
    )
    events = forms.MultipleChoiceField(
        choices=Webhook.Event.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event to receive."},
        help_text="Each event names the contact; the receiver reads the rest through the API.",
    )

    class Meta:
        model = Webhook
        fields = ["url", "events", "is_active"]
        # The model's validator refuses schemes other than http and https (ftp://...).
        error_messages = {"url": {"invalid": NOT_A_URL}}
        help_texts = {
            "is_active": "Paused, it receives no new events; "
            "those waiting are sent once it is active again."
        }

    def clean_events(self):
        # In the order of Webhook.Event, whatever the order posted.
        chosen = set(self.cleaned_data["events"])
        return [value for value in Webhook.Event.values if value in chosen]

"""The SMS sender interface. A gateway backend implements `send(phone, text)`; the console backend
is the default, the locmem backend keeps an outbox for tests."""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsBackend:
    def send(self, phone: str, text: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone, text)
        print(f"[SMS → {phone}] {text}")


class LocmemSmsBackend(SmsBackend):
    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        type(self).outbox.append((phone, text))


def get_sms_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()

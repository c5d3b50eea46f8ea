"""How every Kafka client of a process connects: the FastStream broker, the admin client and
the gateway's feed consumer all take their security from here, so none of them can be left
plaintext when the settings say SASL_SSL.

`kafka_security` is the settings as FastStream's security object; `kafka_client_options` is
the same as the keyword arguments of aiokafka's clients (FastStream's own translation, so the
two cannot differ)."""

from __future__ import annotations

import ssl
from typing import Any

from aiokafka.helpers import create_ssl_context
from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLScram256, SASLScram512

from shared.settings import Settings


def kafka_ssl_context(settings: Settings) -> ssl.SSLContext:
    """Verifies the brokers' certificates and host names against the CA file (or the system's
    CAs without one)."""
    return create_ssl_context(cafile=settings.kafka_ca_file or None)


def kafka_security(settings: Settings) -> BaseSecurity | None:
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = kafka_ssl_context(settings)
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    scram = SASLScram512 if settings.kafka_sasl_mechanism == "SCRAM-SHA-512" else SASLScram256
    return scram(
        settings.kafka_username,
        settings.kafka_password.get_secret_value(),
        ssl_context=context,
        use_ssl=True,
    )


def kafka_client_options(settings: Settings) -> dict[str, Any]:
    """`bootstrap_servers` and the security keywords of an aiokafka client."""
    return {
        "bootstrap_servers": settings.kafka_bootstrap,
        **parse_security(kafka_security(settings)),
    }

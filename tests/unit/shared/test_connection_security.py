"""Connection security from the settings: plaintext by default (the embedded stack), SASL_SSL
with SCRAM-SHA-512 to Kafka for every client the code makes, TLS and credentials to MongoDB.
The TLS test runs a real TLS server with a certificate of a CA made here."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from faststream.security import SASLScram512
from pydantic import ValidationError

from shared.kafka_security import kafka_client_options, kafka_security, kafka_ssl_context
from shared.mongo import mongo_client, mongo_security
from shared.settings import Settings


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


SASL = {
    "kafka_security_protocol": "SASL_SSL",
    "kafka_username": "matching",
    "kafka_password": "s3cret",
}


def test_the_defaults_stay_plaintext_for_the_embedded_stack() -> None:
    assert kafka_client_options(settings()) == {"bootstrap_servers": "127.0.0.1:9092"}
    assert kafka_security(settings()) is None
    assert mongo_security(settings()) == {}


def test_sasl_ssl_is_scram_sha_512_over_tls_for_every_client() -> None:
    options = kafka_client_options(settings(**SASL))
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == (
        "matching",
        "s3cret",
    )
    context = options["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    security = kafka_security(settings(**SASL))
    assert isinstance(security, SASLScram512) and security.use_ssl


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"kafka_security_protocol": "SASL_SSL"}, "kafka_username and kafka_password"),
        ({**SASL, "kafka_password": ""}, "kafka_username and kafka_password"),
        ({"mongo_username": "commonweave"}, "mongo_username and mongo_password"),
        ({"kafka_security_protocol": "SASL_PLAINTEXT"}, "kafka_security_protocol"),
    ],
)
def test_incomplete_security_settings_are_refused_naming_the_fields(
    values: dict[str, str], named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        settings(**values)


def test_mongo_tls_and_credentials_reach_the_client() -> None:
    values = settings(
        mongo_url="mongodb://mongo-0:27017/?replicaSet=rs",
        mongo_tls=True,
        mongo_ca_file="/etc/commonweave/mongo-ca/ca.crt",
        mongo_username="commonweave",
        mongo_password="p@ss:w/rd",  # no percent-encoding needed outside the URL
    )
    assert mongo_security(values) == {
        "tls": True,
        "tlsCAFile": "/etc/commonweave/mongo-ca/ca.crt",
        "username": "commonweave",
        "password": "p@ss:w/rd",
    }
    # the client as the services build it (it connects lazily, so nothing is dialled here)
    pool = mongo_client(values.model_copy(update={"mongo_ca_file": ""})).options.pool_options
    assert pool._credentials is not None
    assert (pool._credentials.username, pool._credentials.password) == ("commonweave", "p@ss:w/rd")
    assert pool._ssl_context is not None  # TLS on


def certificate_authority(directory: Path, name: str) -> tuple[Path, Any, Any]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = directory / f"{name}.crt"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path, cert, key


def server_certificate(directory: Path, ca_cert: Any, ca_key: Any) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = directory / "server.crt", directory / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_the_kafka_ca_file_verifies_the_brokers_certificate(tmp_path: Path) -> None:
    ca_path, ca_cert, ca_key = certificate_authority(tmp_path, "cluster-ca")
    other_ca, _, _ = certificate_authority(tmp_path, "someone-else")
    cert, key = server_certificate(tmp_path, ca_cert, ca_key)
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert, key)

    async def greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"hello over tls")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(greet, "127.0.0.1", 0, ssl=server_side)
    port = server.sockets[0].getsockname()[1]
    try:
        trusted = kafka_ssl_context(settings(**SASL, kafka_ca_file=str(ca_path)))
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=trusted, server_hostname="localhost"
        )
        assert await reader.read() == b"hello over tls"
        writer.close()
        untrusted = kafka_ssl_context(settings(**SASL, kafka_ca_file=str(other_ca)))
        with pytest.raises(ssl.SSLCertVerificationError):
            await asyncio.open_connection(
                "127.0.0.1", port, ssl=untrusted, server_hostname="localhost"
            )
    finally:
        server.close()
        await server.wait_closed()

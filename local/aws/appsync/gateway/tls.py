"""The gateway's certificate for HTTPS and WSS: issued for `localhost` and `127.0.0.1` by a local
certificate authority that is made once and kept, so a client trusts it once (`caFile` in the
discovery file).

AWS clients derive the real-time endpoint from the GraphQL one and always speak TLS to it (Amplify
turns even `http://` into `wss://`), so the local cloud needs an HTTPS endpoint that they accept.
trustme makes the authority and the certificate; the authority's key stays in the directory,
readable by its owner alone, and a fresh server certificate is issued from it on every start.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import trustme

ORGANIZATION = "Slate local cloud"
NAMES = ("localhost", "127.0.0.1")


@dataclass(frozen=True)
class TlsFiles:
    ca_file: Path
    """The authority's certificate: what a client trusts."""
    cert_file: Path
    """The server's certificate chain."""
    key_file: Path


def local_certificate(directory: Path) -> TlsFiles:
    """The gateway's certificate under `directory`, and the authority that issued it (made on
    the first call, reused after)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    ca_key = directory / "ca-key.pem"
    if files.ca_file.is_file() and ca_key.is_file():
        authority = trustme.CA.from_pem(files.ca_file.read_bytes(), ca_key.read_bytes())
    else:
        authority = trustme.CA(organization_name=ORGANIZATION)
        _write_private(ca_key, authority.private_key_pem.bytes())
        files.ca_file.write_bytes(authority.cert_pem.bytes())
    server = authority.issue_cert(*NAMES, organization_name=ORGANIZATION)
    files.cert_file.write_bytes(b"".join(blob.bytes() for blob in server.cert_chain_pems))
    _write_private(files.key_file, server.private_key_pem.bytes())
    return files


def _write_private(path: Path, data: bytes) -> None:
    """Written readable by its owner alone, from the moment it exists."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)

"""The gateway's certificate: a local authority made once and kept (a client trusts it once), a
server certificate for localhost and 127.0.0.1 issued from it on every start, keys private."""

import ipaddress
import stat

from cryptography import x509

from local.aws.appsync.gateway.tls import local_certificate


def test_the_authority_is_made_once_and_every_certificate_comes_from_it(tmp_path):
    first = local_certificate(tmp_path / "tls")
    authority = first.ca_file.read_bytes()
    issued = first.cert_file.read_bytes()
    again = local_certificate(tmp_path / "tls")
    assert again.ca_file.read_bytes() == authority  # trusted once, trusted after a restart
    assert again.cert_file.read_bytes() != issued  # a fresh certificate each start
    ca = x509.load_pem_x509_certificate(authority)
    server = x509.load_pem_x509_certificate(again.cert_file.read_bytes())
    server.verify_directly_issued_by(ca)
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]


def test_the_private_keys_are_readable_by_their_owner_alone(tmp_path):
    files = local_certificate(tmp_path / "tls")
    for key in (files.key_file, tmp_path / "tls" / "ca-key.pem"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600

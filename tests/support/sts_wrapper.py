#!/usr/bin/env python3
"""A local STS for tests, on 127.0.0.1: moto's own IAM/STS app in-process, plus the presigned
GetCallerIdentity that moto does not answer (spec/testinfra.md §2.5).

Only a GET whose query has Action=GetCallerIdentity and X-Amz-Signature is intercepted: the SigV4 query
signature is recomputed from the headers actually received (host and x-k8s-aws-id, so a token signed for
another cluster fails), with the secret of moto's IAM access keys or STS assumed roles (whose session token
must match), and X-Amz-Date must be at most 15 minutes old. The answer is STS's JSON. Everything else goes
to moto untouched. Prints the port on the first line of stdout.

A second listener is an HTTPS proxy for tools that talk to the production STS host themselves (the AWS
CLI's `aws eks get-token --role-arn` calls AssumeRole before it presigns): it accepts CONNECT only to the AWS
STS/IAM host names below, terminates TLS with a certificate of a CA made for this run, and hands the
decrypted requests to the wrapper above, so nothing leaves 127.0.0.1. The second line of stdout is
`proxy PORT CA_FILE`: set HTTPS_PROXY=http://127.0.0.1:PORT and AWS_CA_BUNDLE=CA_FILE for the tool.
"""

import datetime
import hashlib
import hmac
import json
import os
import select
import socket
import ssl
import sys
import tempfile
import threading
import urllib.parse
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from moto.iam.models import iam_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.sts.models import sts_backends
from werkzeug.serving import make_server

moto_app = DomainDispatcherApplication(create_backend_app)


def loaded(backend_dict):
    """The backends moto has already made (never create new ones while looking)."""
    for account_id in list(backend_dict.keys()):
        account = backend_dict[account_id]
        for region in list(account.keys()):
            yield account_id, account[region]


def find_key(access_key_id):
    """(secret, session token or None, arn, user id, account) for a key moto issued."""
    for account_id, backend in loaded(iam_backends):
        for user in backend.users.values():
            for key in user.access_keys:
                if key.access_key_id == access_key_id:
                    return key.secret_access_key, None, user.arn, user.id, account_id
    for account_id, backend in loaded(sts_backends):
        for role in backend.assumed_roles:
            if role.access_key_id == access_key_id:
                return role.secret_access_key, role.session_token, role.arn, role.user_id, role.account_id
    return None


def enc(s):
    return urllib.parse.quote(s, safe="-_.~")


def hmac_sha256(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def wants_json(environ):
    """STS answers JSON only when asked (Accept: application/json, as the authenticator asks); else XML."""
    return "application/json" in environ.get("HTTP_ACCEPT", "")


def error(start_response, code, message, status="403 Forbidden", environ=None):
    request_id = str(uuid.uuid4())
    if environ is not None and not wants_json(environ):
        body = (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
            f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        content_type = "text/xml"
    else:
        body = json.dumps({"Error": {"Type": "Sender", "Code": code, "Message": message}, "RequestId": request_id})
        content_type = "application/json"
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body.encode()]


def presigned_get_caller_identity(environ, start_response):
    pairs = urllib.parse.parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    params = dict(pairs)
    try:
        akid, day, region, service, _ = params["X-Amz-Credential"].split("/")
        signed_headers = params["X-Amz-SignedHeaders"].split(";")
        amz_date = params["X-Amz-Date"]
        signed_at = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except (KeyError, ValueError):
        return error(start_response, "IncompleteSignature", "Request is missing Authentication Token", "400 Bad Request", environ=environ)
    # The credential scope must name STS and the region of the host the request was signed for (the
    # global endpoint is us-east-1).
    host = environ.get("HTTP_HOST", "").split(":")[0]
    if service != "sts":
        return error(
            start_response, "SignatureDoesNotMatch", f"Credential should be scoped to correct service: 'sts'.", environ=environ
        )
    labels = host.split(".")
    host_region = "us-east-1" if host == "sts.amazonaws.com" else (labels[1] if len(labels) > 3 and labels[0].startswith("sts") else None)
    if host_region is not None and region != host_region:
        return error(
            start_response,
            "SignatureDoesNotMatch",
            f"Credential should be scoped to a valid region, not '{region}'.",
            environ=environ,
        )
    now = datetime.datetime.now(datetime.timezone.utc)
    if now > signed_at + datetime.timedelta(minutes=15):
        return error(start_response, "SignatureDoesNotMatch", f"Signature expired: {amz_date} is now earlier than the allowed time", environ=environ)
    found = find_key(akid)
    if found is None:
        return error(start_response, "InvalidClientTokenId", "The security token included in the request is invalid.", environ=environ)
    secret, session_token, arn, user_id, account = found
    if session_token is not None and params.get("X-Amz-Security-Token") != session_token:
        return error(start_response, "InvalidClientTokenId", "The security token included in the request is invalid.", environ=environ)
    query = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted((k, v) for k, v in pairs if k != "X-Amz-Signature"))
    header_values = {"host": environ.get("HTTP_HOST", "")}
    for h in signed_headers:
        if h != "host":
            header_values[h] = environ.get("HTTP_" + h.upper().replace("-", "_"), "")
    canonical_headers = "".join(f"{h}:{header_values.get(h, '').strip()}\n" for h in signed_headers)
    canonical_request = "\n".join(
        ["GET", "/", query, canonical_headers, ";".join(signed_headers), hashlib.sha256(b"").hexdigest()]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    k = hmac_sha256(("AWS4" + secret).encode(), day)
    for part in (region, service, "aws4_request"):
        k = hmac_sha256(k, part)
    expected = hmac.new(k, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, params.get("X-Amz-Signature", "")):
        return error(
            start_response,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
            environ=environ,
        )
    request_id = str(uuid.uuid4())
    if wants_json(environ):
        body = json.dumps(
            {
                "GetCallerIdentityResponse": {
                    "GetCallerIdentityResult": {"Arn": arn, "UserId": user_id, "Account": account},
                    "ResponseMetadata": {"RequestId": request_id},
                }
            }
        )
        content_type = "application/json"
    else:
        body = (
            '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
            f"<Arn>{arn}</Arn><UserId>{user_id}</UserId><Account>{account}</Account></GetCallerIdentityResult>"
            f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
        )
        content_type = "text/xml"
    start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body.encode()]


def app(environ, start_response):
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    if (
        environ.get("REQUEST_METHOD") == "GET"
        and query.get("Action") == ["GetCallerIdentity"]
        and "X-Amz-Signature" in query
    ):
        return presigned_get_caller_identity(environ, start_response)
    return moto_app(environ, start_response)


PROXIED_HOSTS = [
    "sts.amazonaws.com",
    "sts.us-east-1.amazonaws.com",
    "sts.us-east-2.amazonaws.com",
    "sts.us-west-2.amazonaws.com",
    "sts.eu-west-1.amazonaws.com",
    "iam.amazonaws.com",
]


def make_certificates(directory):
    """A CA for this run and one server certificate for every proxied host; returns (ca, cert, key) paths."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "iamidmap test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, PROXIED_HOSTS[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in PROXIED_HOSTS]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = [os.path.join(directory, n) for n in ("ca.pem", "server.pem", "server.key")]
    with open(paths[0], "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths[1], "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths[2], "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return paths


def relay(tls, backend):
    """Copy bytes both ways until either side closes (TLS may hold decrypted bytes select cannot see)."""
    try:
        while True:
            ready, _, _ = select.select([tls, backend], [], [], 60)
            if not ready:
                return
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                if sock is tls:
                    while tls.pending():
                        data += tls.recv(tls.pending())
                    backend.sendall(data)
                else:
                    tls.sendall(data)
    except (OSError, ssl.SSLError):
        return
    finally:
        for sock in (tls, backend):
            try:
                sock.close()
            except OSError:
                pass


def serve_proxy_connection(conn, context, backend_port):
    try:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            if not chunk:
                conn.close()
                return
            head += chunk
        method, target = head.split(b"\r\n")[0].decode().split(" ")[:2]
        host = target.rsplit(":", 1)[0]
        if method != "CONNECT" or host not in PROXIED_HOSTS:
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            conn.close()
            return
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        tls = context.wrap_socket(conn, server_side=True)
        backend = socket.create_connection(("127.0.0.1", backend_port))
        relay(tls, backend)
    except (OSError, ssl.SSLError, ValueError):
        try:
            conn.close()
        except OSError:
            pass


def start_proxy(backend_port):
    directory = tempfile.mkdtemp(prefix="iamidmap-sts-proxy-")
    ca, cert, key = make_certificates(directory)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)

    def accept():
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=serve_proxy_connection, args=(conn, context, backend_port), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener.getsockname()[1], ca


def main():
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(server.server_port, flush=True)
    proxy_port, ca = start_proxy(server.server_port)
    print(f"proxy {proxy_port} {ca}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A local STS for tests, on 127.0.0.1: moto's own IAM/STS app in-process, plus the presigned
GetCallerIdentity that moto does not answer (spec/testinfra.md §2.5).

Only a GET whose query has Action=GetCallerIdentity and X-Amz-Signature is intercepted: the SigV4 query
signature is recomputed from the headers actually received (host and x-k8s-aws-id, so a token signed for
another cluster fails), with the secret of moto's IAM access keys or STS assumed roles (whose session token
must match), and X-Amz-Date must be at most 15 minutes old. The answer is STS's JSON. Everything else goes
to moto untouched. Prints the port on the first line of stdout.
"""

import datetime
import hashlib
import hmac
import json
import sys
import urllib.parse
import uuid

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


def error(start_response, code, message, status="403 Forbidden"):
    body = json.dumps({"Error": {"Type": "Sender", "Code": code, "Message": message}, "RequestId": str(uuid.uuid4())})
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
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
        return error(start_response, "IncompleteSignature", "Request is missing Authentication Token", "400 Bad Request")
    now = datetime.datetime.now(datetime.timezone.utc)
    if now > signed_at + datetime.timedelta(minutes=15):
        return error(start_response, "SignatureDoesNotMatch", f"Signature expired: {amz_date} is now earlier than the allowed time")
    found = find_key(akid)
    if found is None:
        return error(start_response, "InvalidClientTokenId", "The security token included in the request is invalid.")
    secret, session_token, arn, user_id, account = found
    if session_token is not None and params.get("X-Amz-Security-Token") != session_token:
        return error(start_response, "InvalidClientTokenId", "The security token included in the request is invalid.")
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
        )
    body = json.dumps(
        {
            "GetCallerIdentityResponse": {
                "GetCallerIdentityResult": {"Arn": arn, "UserId": user_id, "Account": account},
                "ResponseMetadata": {"RequestId": str(uuid.uuid4())},
            }
        }
    )
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
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


def main():
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())

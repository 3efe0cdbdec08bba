"""A few lines of HTTP for the seeder and the demo purchase (standard library only)."""
import json
import os
import urllib.error
import urllib.request

GATEWAY = os.environ.get("CL_GATEWAY", "http://127.0.0.1:18400")


def call(method, path, body=None, token=None, headers=None):
    """Sends a request through the gateway; returns (status, parsed JSON or None)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(GATEWAY + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw) if raw else None
        except ValueError:
            return e.code, {"raw": raw.decode(errors="replace")}


def login(email, password):
    st, body = call("POST", "/api/auth/login", {"email": email, "password": password})
    if st != 200:
        raise SystemExit(f"log-in as {email} failed: {st} {body}")
    return body["access_token"]

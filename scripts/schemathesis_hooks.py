"""Schemathesis hooks for scripts/schemathesis.sh.

Authenticates every generated request as an administrator. The fuzzer is free
to delete or deactivate that user (DELETE /v1/users/{id} is a valid call), so
the provider recreates it with `api create-admin` whenever logging in fails.
Settings come from the environment set by the script: ST_BASE_URL, ST_API_BIN,
ST_USERNAME, ST_EMAIL, ST_PASSWORD (and the API's own DATABASE_URL etc.).
"""

import json
import os
import subprocess
import urllib.error
import urllib.request

import schemathesis
from hypothesis import strategies as st

BASE = os.environ["ST_BASE_URL"]
USERNAME = os.environ["ST_USERNAME"]
EMAIL = os.environ["ST_EMAIL"]
PASSWORD = os.environ["ST_PASSWORD"]


# The API documents passwords under the policy with the format
# `bcrypt-password`: 8 or more characters, at most 72 bytes in UTF-8, no NUL
# (JSON Schema can count characters, not bytes). Teach the generator what
# values of that format look like.
schemathesis.openapi.format(
    "bcrypt-password",
    st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), min_size=8, max_size=72).filter(
        lambda p: len(p.encode("utf-8")) <= 72
    ),
)


def _login():
    body = json.dumps({"username": USERNAME, "password": PASSWORD}).encode()
    request = urllib.request.Request(
        f"{BASE}/v1/auth/login", data=body, headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)["access_token"]
    except urllib.error.HTTPError:
        return None


def ensure_admin():
    """Creates (or promotes and reactivates) the admin through the binary."""
    subprocess.run(
        [os.environ["ST_API_BIN"], "create-admin", "--username", USERNAME, "--email", EMAIL],
        check=True,
        env={**os.environ, "ADMIN_PASSWORD": PASSWORD},
        stdout=subprocess.DEVNULL,
    )


@schemathesis.auth(refresh_interval=None)
class AdminToken:
    def get(self, case, ctx):
        token = _login()
        if token is None:
            ensure_admin()
            token = _login()
        return token

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"

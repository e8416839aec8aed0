"""Drives Tidings with the official JMessage Python client (PyPI `jmessage` 2.0.0), unchanged
but for its base URL, which is rewritten at run time from `https://api.im.jpush.cn` to
TIDINGS_BASE. Run by `tests/api/jmessage_client.rs` against a real server, after it has
registered `ann` (logged in on one device) and `bob` over the MaxIM API. Exits non-zero on the first
answer that is not what the server should give."""

import inspect
import os
import sys

import jmessage
# `jmessage.sensitiveword` does not import as shipped (a syntax error); `im.IM` carries the
# sensitive-word calls instead.
from jmessage import group, im, message, resource, room, user

OFFICIAL = "https://api.im.jpush.cn"
BASE = os.environ["TIDINGS_BASE"]

# Every class attribute holding an official URL now names this server.
for module in (group, im, message, resource, room, user):
    for _, cls in inspect.getmembers(module, inspect.isclass):
        for name, value in list(vars(cls).items()):
            if isinstance(value, str) and value.startswith(OFFICIAL):
                setattr(cls, name, BASE + value[len(OFFICIAL):])

client = jmessage.JMessage(os.environ["TIDINGS_APP_KEY"], os.environ["TIDINGS_MASTER_SECRET"])
users = user.User(client)
admin = im.IM(client)
failures = []


def expect(what, response, status, body=None):
    got = response.json() if response.content else None
    if response.status_code != status or (body is not None and got != body):
        failures.append(f"{what}: expected HTTP {status} {body}, got {response.status_code} {got}")


# The SDK registration switch.
expect("sdk_status", admin.sdk_status(), 200, {"status": 1})
expect("close_sdk", admin.close_sdk(), 204)
expect("sdk_status closed", admin.sdk_status(), 200, {"status": 0})
expect("open_sdk", admin.open_sdk(), 204)
expect("sdk_status open", admin.sdk_status(), 200, {"status": 1})

# Online status, one user and many.
expect("stat ann", users.stat("ann"), 200, {"login": True, "online": False})
expect(
    "stat [ann]",
    users.stat(["ann"]),
    200,
    [{"username": "ann", "devices": [{"login": True, "online": False, "platform": "j"}]}],
)
nobody = users.stat("nobody")
expect("stat nobody", nobody, 403)
if nobody.json().get("error", {}).get("code") != 899002:
    failures.append(f"stat nobody: expected code 899002, got {nobody.json()}")

# Disabling and enabling (the client sends Python's `True` and `False`), deleting.
expect("block ann", users.block("ann"), 204)
expect("active ann", users.active("ann"), 204)
expect("delete bob", users.delete("bob"), 204)
expect("stat bob", users.stat("bob"), 403)

# Broken as shipped: a PUT or DELETE with a body raises before anything is sent.
for what, call in [
    ("update_password", lambda: users.update_password("ann", "new-secret")),
    ("delete [list]", lambda: users.delete(["ann"])),
]:
    try:
        call()
        failures.append(f"{what}: expected the shipped client to raise UnboundLocalError")
    except UnboundLocalError:
        pass

# Wrong credentials.
wrong = user.User(jmessage.JMessage(os.environ["TIDINGS_APP_KEY"], "wrong-secret"))
denied = wrong.stat("ann")
expect("wrong secret", denied, 401)
if denied.json().get("error", {}).get("code") != 899008:
    failures.append(f"wrong secret: expected code 899008, got {denied.json()}")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("the official JMessage client got every answer it should")

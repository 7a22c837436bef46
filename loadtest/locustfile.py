"""The load mix (locust): members, attorneys and reviewers against the production stack.

Run by ``loadtest/run.py`` (bounded in time and users, loopback only); by hand:

    .venv/bin/locust -f loadtest/locustfile.py --headless -H http://127.0.0.1:8112 \\
        -u 40 -r 10 -t 90s --only-summary

- members (weight 8) read their records and their applications, and one in five visits files
  an application with two photos (``Idempotency-Key``; retried with the same key after a 503
  or a dropped connection, as the member site does);
- attorneys (weight 2) list their filings;
- reviewers (weight 2) page the 東京支部 queue in the admin, open an application and change its
  status (受付 → 審査中 → 審査完了, or → 返戻 with a comment, which builds a return package
  once the returns app handles ``application_returned``).

Every accepted filing and status change, and every server error or dropped connection, is
appended to ``LOADTEST_JOURNAL`` (JSON lines, with the time), so ``loadtest/run.py`` can count
what was lost or duplicated after a fault, and when the errors came.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import threading
import time
import uuid
from pathlib import Path

from locust import HttpUser, between, events, task

FIXTURE_PATH = Path(os.environ.get("LOADTEST_FIXTURE", "var/loadtest/fixture.json"))
FIXTURE = json.loads(FIXTURE_PATH.read_text())
RETURN_COMMENT = "添付の領収書が読み取れません。撮り直して再提出してください。"
JOURNAL = Path(os.environ.get("LOADTEST_JOURNAL", "var/loadtest/journal.jsonl"))
PHOTO_BYTES = int(os.environ.get("LOADTEST_PHOTO_BYTES", "400000"))
RETRIES = 8
_journal_lock = threading.Lock()


def _noise_jpeg(seed: int) -> bytes:
    from PIL import Image

    rng = random.Random(seed)
    side, best = 600, b""
    for _ in range(6):
        out = io.BytesIO()
        Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3)).save(
            out, "JPEG", quality=90
        )
        best = out.getvalue()
        side = int(side * (PHOTO_BYTES / len(best)) ** 0.5)
        if abs(len(best) - PHOTO_BYTES) < PHOTO_BYTES * 0.05:
            break
    return best


PHOTOS = [_noise_jpeg(1), _noise_jpeg(2)]


def journal(kind: str, **fields: object) -> None:
    line = json.dumps({"kind": kind, "at": time.time(), **fields})
    with _journal_lock, JOURNAL.open("a") as f:
        f.write(line + "\n")


@events.request.add_listener
def _journal_errors(  # type: ignore[no-untyped-def]
    request_type, name, response_time, response_length, response=None, exception=None, **_kw
) -> None:
    """Every server error and dropped connection, with its time: the run checks that they
    fall while a dependency was down, and counts 503 against 500."""
    status = getattr(response, "status_code", 0) or 0
    if status >= 500 or (exception is not None and status == 0):
        journal("error", name=name, status=status)


def _retry_wait(attempt: int) -> None:
    time.sleep(min(0.5 * 2**attempt, 8.0))


class MemberUser(HttpUser):
    weight = 8
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.member = random.choice(FIXTURE["members"])
        self.client.headers["Authorization"] = f"Token {self.member['token']}"

    @task(5)
    def read_records(self) -> None:
        self.client.get("/api/v1/eligibility/records/", name="member: records")

    @task(3)
    def read_applications(self) -> None:
        self.client.get("/api/v1/applications/", name="member: applications")

    @task(2)
    def file_application(self) -> None:
        key = uuid.uuid4().hex
        data = {
            "form_code": FIXTURE["form"],
            "record": str(self.member["record"]),
            "data": json.dumps(FIXTURE["data"], ensure_ascii=False),
            "bank_account": json.dumps(FIXTURE["bank_account"], ensure_ascii=False),
            "attachment_kinds": FIXTURE["attachment_kinds"],
        }
        for attempt in range(RETRIES):
            files = [
                ("attachments", (f"IMG_{i:04d}.JPG", photo, "image/jpeg"))
                for i, photo in enumerate(PHOTOS)
            ]
            with self.client.post(
                "/api/v1/applications/",
                data=data,
                files=files,
                headers={"Idempotency-Key": key},
                name="member: file",
                catch_response=True,
            ) as response:
                if response.status_code in (200, 201):
                    body = response.json()
                    journal(
                        "filing",
                        key=key,
                        id=body.get("id"),
                        attempt=attempt,
                        status=response.status_code,
                    )
                    response.success()
                    return
                if response.status_code in (0, 502, 503, 504):
                    response.failure(f"{response.status_code} (retrying with the same key)")
                    journal("filing_retry", key=key, status=response.status_code)
                    _retry_wait(attempt)
                    continue
                response.failure(f"{response.status_code}: {response.text[:200]}")
                journal("filing_refused", key=key, status=response.status_code)
                return
        journal("filing_gave_up", key=key)


class AttorneyUser(HttpUser):
    weight = 2
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Token {random.choice(FIXTURE['attorneys'])}"

    @task
    def list_filings(self) -> None:
        self.client.get("/api/v1/applications/", name="attorney: applications")


_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_VERSION = re.compile(r'name="expected_version" value="(\d+)"')
_ROW = re.compile(r'href="/admin/applications/application/(\d+)/change/')


class ReviewerUser(HttpUser):
    """The admin over plain HTTP on loopback: the proxy's ``X-Forwarded-Proto: https`` is
    sent, and the Secure cookies are carried by hand (the client would not send them)."""

    weight = 2
    wait_time = between(2, 5)

    def on_start(self) -> None:
        self.cookies: dict[str, str] = {}
        self.account = random.choice(FIXTURE["reviewers"])
        self._login()

    def _headers(self, path: str) -> dict[str, str]:
        return {
            "X-Forwarded-Proto": "https",
            "Referer": f"https://{self.host.split('://', 1)[1]}{path}",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }

    def _keep(self, response) -> None:  # type: ignore[no-untyped-def]
        for cookie in response.cookies:
            self.cookies[cookie.name] = cookie.value

    def _get(self, path: str, name: str):  # type: ignore[no-untyped-def]
        response = self.client.get(
            path, headers=self._headers(path), name=name, allow_redirects=False
        )
        self._keep(response)
        return response

    def _post(self, path: str, data: dict, name: str):  # type: ignore[no-untyped-def]
        data = {**data, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
        headers = {**self._headers(path), "X-CSRFToken": self.cookies.get("csrftoken", "")}
        response = self.client.post(
            path, data=data, headers=headers, name=name, allow_redirects=False
        )
        self._keep(response)
        return response

    def _login(self) -> None:
        self.cookies.clear()
        self._get("/admin/login/", "reviewer: login page")
        self._post(
            "/admin/login/?next=/admin/",
            {"username": self.account["username"], "password": self.account["password"]},
            "reviewer: login",
        )

    @task(3)
    def page_queue(self) -> None:
        page = random.choice([1, 1, 1, 2, 3])
        path = "/admin/applications/application/" + (f"?p={page - 1}" if page > 1 else "")
        response = self._get(path, "reviewer: queue page")
        if response.status_code == 302:
            self._login()

    @task(2)
    def change_status(self) -> None:
        queue = self._get("/admin/applications/application/", "reviewer: queue page")
        ids = _ROW.findall(queue.text)
        if not ids:
            return
        pk = random.choice(ids)
        page = self._get(f"/admin/applications/application/{pk}/change/", "reviewer: open")
        version = _VERSION.search(page.text)
        if not version:
            return
        # About one change in three is a 返戻, so that enough packages are built to count.
        if 'value="reviewing"' in page.text and random.random() < 0.6:
            to_status, comment = "reviewing", ""
        elif 'value="completed"' in page.text and random.random() < 0.5:
            to_status, comment = "completed", ""
        else:
            to_status, comment = "returned", RETURN_COMMENT
        for attempt in range(RETRIES):
            response = self._post(
                f"/admin/applications/application/{pk}/status/",
                {"to_status": to_status, "comment": comment, "expected_version": version.group(1)},
                "reviewer: change status",
            )
            if response.status_code == 302:
                # Done or refused (another reviewer was first): the page it returns to says.
                after = self._get(f"/admin/applications/application/{pk}/change/", "reviewer: open")
                done = "にしました" in after.text
                journal(
                    "status" if done else "status_refused",
                    application=int(pk),
                    to=to_status,
                    version=int(version.group(1)),
                    attempt=attempt,
                )
                return
            if response.status_code in (0, 502, 503, 504):
                journal("status_retry", application=int(pk), status=response.status_code)
                _retry_wait(attempt)
                continue
            journal("status_refused", application=int(pk), status=response.status_code)
            return

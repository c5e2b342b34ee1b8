"""Security headers through real HTTP: a strict page policy, no sniffing, no framing."""

from __future__ import annotations

import httpx

from smartalbum.web.headers import CONTENT_SECURITY_POLICY


def test_every_answer_carries_the_security_headers(live_url: str) -> None:
    with httpx.Client(base_url=live_url, timeout=60) as c:
        answers = [
            c.get("/"),
            c.get("/gallery"),
            c.get("/static/app.js"),
            c.get("/api/health"),
            c.get("/api/photos/0"),  # an error answer too
            c.post("/predict", files={"file": ("big.jpg", b"x" * (51 * 1024 * 1024))}),
        ]
        for answer in answers:
            where = f"{answer.request.method} {answer.request.url.path} -> {answer.status_code}"
            assert answer.headers["x-content-type-options"] == "nosniff", where
            assert answer.headers["referrer-policy"] == "same-origin", where
            assert answer.headers["x-frame-options"] == "DENY", where
            assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, where
        assert answers[-1].status_code == 413
        policy = answers[0].headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy

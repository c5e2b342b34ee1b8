"""The Backups page in a real headless Chromium: an admin sees the server's backups, backs up
now and reads it in Chinese; a viewer is told it is for admins."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from smartalbum.catalog import open_engine, session_factory
from smartalbum.library.accounts import Accounts
from smartalbum.settings import Settings
from tests.helpers import ARTIFACTS, LiveServer

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


def signed_in(browser: Any, url: str, name: str) -> Any:
    """A page of a fresh context signed in as ``name`` (through the API)."""
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    answer = context.request.post(url + "/api/login", data={"name": name, "password": PASSWORD})
    assert answer.ok, answer.text()
    return context.new_page()


def test_an_admin_backs_up_now_from_the_page(
    browser: Any, library_settings: Settings, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    engine = open_engine(library_settings.library)
    accounts = Accounts(session_factory(engine))
    for name in ("admin", "viewer"):
        accounts.add(name, name, PASSWORD)
    engine.dispose()
    served = dataclasses.replace(library_settings, host="0.0.0.0", backup_dir=tmp_path)
    with LiveServer(served) as url:
        admin = signed_in(browser, url, "admin")
        admin.goto(url + "/backups")
        expect(admin.locator("#backups tbody")).to_contain_text("No backup yet.")
        admin.click("#backup-now")
        expect(admin.locator("#status")).to_contain_text(f"Backed up to {tmp_path}")
        expect(admin.locator("#backups tbody tr")).to_have_count(1)
        expect(admin.locator("#backups tbody")).to_contain_text("smartalbum-")
        admin.click("[data-lang=zh]")
        expect(admin.locator("#backup-now")).to_have_text("立即备份")
        expect(admin.locator("#schedule")).to_contain_text("服务器不会自动备份")
        expect(admin.locator("#status")).to_contain_text("已备份到")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        admin.screenshot(path=str(ARTIFACTS / "backups-zh.png"), full_page=True)
        admin.click("[data-lang=en]")
        assert len(list(tmp_path.glob("smartalbum-*"))) == 1

        viewer = signed_in(browser, url, "viewer")
        viewer.goto(url + "/backups")
        expect(viewer.locator("#status")).to_contain_text("needs admin")

"""Backup and restore of a PostgreSQL catalog: a running server's library through pg_dump,
restored into an empty database, answers every GET route as the original did; and the
integrity check runs there (amcheck when installed, else it says it did not check)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from smartalbum.backup import make_backup, restore_backup
from smartalbum.catalog import Photo, live
from smartalbum.errors import ConfigError
from smartalbum.integrity import check
from smartalbum.library.marks import set_favourite
from smartalbum.library.service import PhotoLibrary
from smartalbum.library.shares import ShareLinks
from smartalbum.library.user_albums import UserAlbums
from smartalbum.settings import Settings
from tests.conftest import Indexed
from tests.helpers import (
    POSTGRES_URL,
    LiveServer,
    import_job,
    index_folder,
    library_answers,
    new_database,
    teach_a_category,
)

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL,
    reason="SMARTALBUM_TEST_POSTGRES_URL is not set (scripts/test starts a PostgreSQL server)",
)
PIZZA = "n07873807_pizza.JPEG"


@pytest.fixture(scope="module")
def original(
    settings: Settings, indexed: Indexed, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, str]]:
    """A PostgreSQL library with a correction, a taught category, a person's album, a
    favourite and a share link; (its settings, the share link's token)."""
    cache = tmp_path_factory.mktemp("pg-cache")  # its feature space: named after the URL
    with new_database() as url:
        made = settings.with_overrides(library=url, cache_dir=cache)
        index_folder(settings, indexed.root, url)
        teach_a_category(made)
        library = PhotoLibrary.open(made)
        try:
            with library.sessions() as session:
                ids = list(session.scalars(select(Photo.id).where(live()).order_by(Photo.id)))
                pizza = session.scalar(select(Photo.id).where(Photo.path.endswith(PIZZA)))
            assert pizza is not None
            library.correct(pizza, "set", "n11939491")
            UserAlbums(library.sessions).create("Mine", "我的", None, ids[:3])
            set_favourite(library.sessions, None, ids[1:2], True, library.rules)
            link = ShareLinks(library.sessions).create("album", "pets", None, allow_download=True)
        finally:
            library.close()
        yield made, str(link["token"])


def test_a_running_servers_backup_restores_into_an_empty_database(
    original: tuple[Settings, str], tmp_path: Path
) -> None:
    made, token = original
    (tmp_path / "empty").mkdir()
    env = {**os.environ, "SMARTALBUM_CACHE_DIR": str(made.cache_dir)}
    with LiveServer(made) as url, httpx.Client(base_url=url, timeout=60) as client:
        job = import_job(client, tmp_path / "empty")
        before = library_answers(client, job, token)
        backup = subprocess.run(
            [sys.executable, "-m", "smartalbum", "backup", str(tmp_path), "--library",
             made.library, "--json"],
            capture_output=True, text=True, timeout=300, env=env,
        )  # fmt: skip
        assert backup.returncode == 0, backup.stderr
    folder = Path(json.loads(backup.stdout)["folder"])
    assert (folder / "catalog.pgdump").is_file()
    with new_database() as empty:
        target = made.with_overrides(library=empty)
        restore_backup(target, folder)
        with pytest.raises(ConfigError, match="a library is already there"):
            restore_backup(target, folder)
        with LiveServer(target) as url, httpx.Client(base_url=url, timeout=60) as client:
            after = library_answers(client, "no-job", token)
    assert len(before) >= 20 and any("/api/categories/" in k for k in before)
    differing = sorted(k for k in before if before[k] != after.get(k))
    assert differing == [], {k: (before[k], after.get(k)) for k in differing[:3]}


def test_the_check_runs_on_postgresql(original: tuple[Settings, str], tmp_path: Path) -> None:
    made, _ = original
    folder = Path(make_backup(made, tmp_path)["folder"])
    with new_database() as empty:
        target = made.with_overrides(library=empty)
        restore_backup(target, folder)
        library = PhotoLibrary.open(target)
        try:
            findings = {f.name: f for f in check(library, target)}
        finally:
            library.close()
    catalog = findings["catalog"]
    assert catalog.problems == []
    assert catalog.note is None or "amcheck" in str(catalog.note)
    assert all(not f.problems for f in findings.values()), findings

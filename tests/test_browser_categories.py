"""Teaching a category in a real browser: pick 5 photos, answer two questions, move the threshold,
then find the category in search and in an album rule; screenshots in English and 中文."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from smartalbum.settings import Settings
from tests.helpers import ARTIFACTS, LiveServer, dogs_and_things, index_folder, wait_until

pytestmark = pytest.mark.browser

RULES = '[albums.our-mimi]\ntitle = "Our Mimi"\ntitle_zh = "我们的咪咪"\ncategories = ["mimi"]\n'


@pytest.fixture(scope="module")
def teach_url(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over 30 dog photos and 30 of things, with an album rule naming the category."""
    base = tmp_path_factory.mktemp("teach")
    (base / "photos").mkdir()
    dogs, things = dogs_and_things()
    for path in dogs + things:
        (base / "photos" / path.name).write_bytes(path.read_bytes())
    assert index_folder(settings, base / "photos", base / "library.db") == 60
    (base / "albums.toml").write_text(RULES, encoding="utf-8")
    own = settings.with_overrides(
        library=str(base / "library.db"), albums_file=base / "albums.toml"
    )
    with LiveServer(own) as url:
        yield url


def category(url: str, category_id: str) -> dict[str, Any]:
    """The category as the API shows it."""
    found: dict[str, Any] = httpx.get(f"{url}/api/categories/{category_id}", timeout=60).json()
    return found


def test_teach_a_category_answer_questions_and_find_it(browser: object, teach_url: str) -> None:
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.extend([m.text] if "Security" in m.text else []))
    page.goto(teach_url + "/gallery")
    page.evaluate("localStorage.clear()")
    page.goto(teach_url + "/gallery#/categories")
    category_id, picked = teach_from_five(page, teach_url)
    yes, no = answer_two_questions(page, teach_url, category_id)
    move_the_threshold(page, teach_url, category_id)
    page.screenshot(path=str(ARTIFACTS / "category-page-en.png"), full_page=True)
    switch_to_chinese(page)
    page.screenshot(path=str(ARTIFACTS / "category-page-zh.png"), full_page=True)
    find_it_in_search_albums_and_the_photo(page, teach_url, category_id, [*picked, yes], no)
    assert violations == []
    context.close()


def teach_from_five(page: Any, url: str) -> tuple[str, list[int]]:
    """Pick 5 dogs from a search, name the category, teach it: (its id, the photos picked)."""
    from playwright.sync_api import expect

    page.locator("#category-find").fill("dog")
    page.locator("#category-look").click()
    picks = page.locator("[data-pick]")
    expect(picks.first).to_be_visible()
    assert picks.count() >= 20
    expect(page.locator("#category-teach")).to_be_disabled()
    for index in range(5):
        picks.nth(index).click()
    expect(page.locator("[data-pick][aria-pressed=true]")).to_have_count(5)
    picked = [int(picks.nth(i).get_attribute("data-pick") or 0) for i in range(5)]
    page.locator("#category-name").fill("Mimi")
    page.locator("#category-name-zh").fill("我家的咪咪")
    page.locator("#category-teach").click()
    page.wait_for_url("**/gallery#/category/*")
    category_id = str(page.url.rsplit("/", 1)[1])
    expect(page.locator("h2")).to_contain_text("Mimi")
    assert sorted(category(url, category_id)["examples"]) == sorted(picked)
    return category_id, picked


def answer_two_questions(page: Any, url: str, category_id: str) -> tuple[int, int]:
    """Yes to the first photo asked about, no to the next: (the yes, the no)."""
    from playwright.sync_api import expect

    question = page.locator("[data-question]").first
    expect(question).to_contain_text("Is this Mimi?")
    yes = int(question.get_attribute("data-question") or 0)
    question.locator("button.yes").click()
    expect(page.locator(f"[data-question='{yes}']")).to_have_count(0)
    question = page.locator("[data-question]").first
    no = int(question.get_attribute("data-question") or 0)
    question.locator("button.no").click()
    expect(page.locator(f"[data-question='{no}']")).to_have_count(0)
    now = category(url, category_id)
    assert yes in now["examples"] and now["counter_examples"] == [no]
    expect(page.locator(f"[data-match='{yes}'] .caption.yes")).to_be_visible()
    return yes, no


def move_the_threshold(page: Any, url: str, category_id: str) -> None:
    """Down to the bottom (all but the counter-example belong), then back where it was."""
    from playwright.sync_api import expect

    before = category(url, category_id)
    page.locator("#category-threshold").evaluate(
        "(e) => { e.value = '-0.2'; e.dispatchEvent(new Event('input')); "
        "e.dispatchEvent(new Event('change')); }"
    )
    wait_until(page, "() => document.querySelector('output').textContent === '-0.20'")
    expect(page.locator("h2 .count")).to_have_text("59 photos")  # all but the counter-example
    assert category(url, category_id)["count"] == 59 > before["count"]
    page.locator("#category-threshold").evaluate(
        f"(e) => {{ e.value = '{before['threshold']}'; e.dispatchEvent(new Event('change')); }}"
    )
    expect(page.locator("h2 .count")).to_have_text(f"{before['count']} photos")
    wait_until(page, "() => [...document.images].every((i) => i.complete)")


def switch_to_chinese(page: Any) -> None:
    """The category page in 中文: its Chinese name, the question in Chinese."""
    from playwright.sync_api import expect

    page.locator("[data-lang=zh]").click()
    expect(page.locator("h2")).to_contain_text("我家的咪咪")
    expect(page.locator("[data-question]").first).to_contain_text("这是我家的咪咪吗？")


def find_it_in_search_albums_and_the_photo(
    page: Any, url: str, category_id: str, examples: list[int], no: int
) -> None:
    """Search by either name, the album rule that names it, the photo page beside the labels."""
    from playwright.sync_api import expect

    # A photo the model put in the category (an example is in it at 1, whatever its cosine),
    # and its score as the category's page shows it: the cosine, two decimals.
    member = page.locator(".matches li:not(.out) .caption:not(.yes):not(.no)").first
    shown = member.inner_text()
    assert re.fullmatch(r"-?\d\.\d\d", shown), shown
    photo = member.locator("xpath=ancestor::li").get_attribute("data-match")
    page.goto(url + "/gallery#/search/mimi")
    # The same in search, beside the category's name (never a percent, as a label's is), and
    # on the photo's page.
    expect(page.locator(f".grid a[data-photo='{photo}'] .caption")).to_have_text(
        f"我家的咪咪 {shown}"
    )
    page.goto(url + f"/gallery#/photo/{photo}")
    expect(page.locator(f".tags a[data-category='{category_id}']")).to_have_text(
        f"我家的咪咪 · {shown}"
    )
    page.goto(url + "/gallery#/search/咪咪")
    expect(page.locator(f".grid a[data-photo='{examples[0]}']")).to_be_visible()
    page.goto(url + "/gallery#/search/mimi")
    expect(page.locator(f".grid a[data-photo='{examples[-1]}']")).to_be_visible()
    page.goto(url + "/gallery#/album/our-mimi")
    expect(page.locator(f".grid a[data-photo='{examples[0]}']")).to_be_visible()
    expect(page.locator(f".grid a[data-photo='{no}']")).to_have_count(0)
    page.goto(url + f"/gallery#/photo/{examples[0]}")
    expect(page.locator(f".tags a[data-category='{category_id}']")).to_contain_text("我家的咪咪")
    # ✗ beside it corrects it, as a rejected label: a counter-example now, and out.
    page.locator(".photo-categories button.not-category").click()
    expect(page.locator(f".tags a[data-category='{category_id}']")).to_have_count(0)
    assert examples[0] in category(url, category_id)["counter_examples"]

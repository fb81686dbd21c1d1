"""The churn model's card in `dbt docs`, checked in a real headless Chromium: the model page
links the card and shows its plots, every image loads, and the card page has its sections.
Screenshots of both pages land in docs/ (the README shows them)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.integration.conftest import ROOT, messages

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
# What Chromium needs on this kind of machine (no sandbox as root, no GPU, no network).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CARD = "assets/cards/churn_model/"
IMAGES_LOADED = "imgs => imgs.map(i => i.complete && i.naturalWidth > 0)"


@pytest.fixture(scope="module")
def docs_site(built_project) -> Iterator[str]:
    """`dbt docs generate` on the built demo, its target/ served on a free local port."""
    project, _ = built_project
    result = project.dbt("docs", "generate")
    assert result.success, str(result.exception) or messages(result)
    target = project.path / "target"
    assert (target / CARD / "card.html").is_file(), "the build did not publish churn's card"
    handler = partial(_QuietHandler, directory=str(target))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_address[1]}"
        server.shutdown()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A page of the system's Chromium, headless, with a fresh profile."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(15_000)
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def test_the_churn_model_page_links_its_card_and_shows_its_plots(docs_site, browser_page) -> None:
    page = browser_page
    page.goto(f"{docs_site}/#!/model/model.dbt_automl.churn_model")
    link = page.locator(f'a[href$="{CARD}card.html"]').first
    link.wait_for()
    images = page.locator(f'img[src^="{CARD}"]')
    images.first.wait_for()
    sources = images.evaluate_all("imgs => imgs.map(i => i.getAttribute('src'))")
    assert {Path(s).name for s in sources} >= {"roc_pr.png", "importances.png"}
    page.wait_for_function(
        f"() => [...document.querySelectorAll('img[src^=\"{CARD}\"]')].every(i => i.complete)"
    )
    assert all(images.evaluate_all(IMAGES_LOADED)), sources  # naturalWidth > 0: it loaded
    link.scroll_into_view_if_needed()
    page.screenshot(path=str(ROOT / "docs" / "model_card.png"))

    page.goto(link.evaluate("a => a.href"))  # follow the link as the browser resolves it
    for section in ("metrics", "leaderboard", "decisions", "status"):
        assert page.locator(f"section#{section} h2").is_visible(), section
    assert "roc_auc" in page.locator("section#metrics").inner_text()
    assert "expect_model_metric_to_be_between" in page.locator("section#metrics").inner_text()
    assert "champion" in page.locator("section#status").inner_text()
    card_images = page.locator("section#plots img")
    assert card_images.count() >= 3 and all(card_images.evaluate_all(IMAGES_LOADED))
    page.screenshot(path=str(ROOT / "docs" / "model_card_page.png"), full_page=True)

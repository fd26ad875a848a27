"""The CS lead's dashboard (server/console/dashboard.html) in a real headless Chromium, against the
live servers: numbers and daily charts from GET /webhooks/assist/analytics, the lead-only door,
and the CSV export.

The data comes through the real path first: drivers' REST conversations (a Q1 answer rated
도움이 됐어요, keyboard gibberish, a message the NLU is unsure of, a request for an agent). The screenshot test also
adds a month of demo conversations (scripts/seed_analytics.py's generator) to the test server's
own databases — days before today only, so today's numbers stay those the tests made.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import datetime as dt
import importlib.util
import io
import random
import uuid

import pytest

from consignment.agent_auth import mint_agent_token
from consignment.identity import mint_driver_token
from tests.browser.conftest import SCREENSHOT_DIR, strict_page
from tests.conftest import PROJECT_ROOT, TEST_SECRET
from tests.live_servers import AGENT_SECRET

pytestmark = pytest.mark.live

SCREENSHOT = SCREENSHOT_DIR / "dashboard.png"
DASHBOARD = "/webhooks/assist/console/dashboard.html"
TIMEOUT_MS = 30_000
CSV_HEADER = ["date", "conversations", "messages", "handoffs", "containment_rate", "fallbacks", "csat_up", "csat_down"]
KST = dt.timezone(dt.timedelta(hours=9))

Q1 = "위탁콜이 뭐예요?"
GIBBERISH = "ㅁㄴㅇㄹ ㅋㅋ"  # trained as out_of_scope: the model knows it is off-topic
# short messages the model is unsure of (the FallbackClassifier's nlu_fallback) with models/current.tar.gz;
# "/nlu_fallback" is what the classifier yields, for a model that places them all
UNSURE = ("왜요", "흐음", "ㅠㅠ")
HUMAN = "상담원 연결해 주세요"
UNCLEAR_SENDERS = 3  # consignment/analytics.py MIN_CONVERSATIONS


@pytest.fixture(scope="module")
def lead_token() -> str:
    return mint_agent_token("A-LEAD", AGENT_SECRET, role="lead")


@pytest.fixture(scope="module")
def agent_token() -> str:
    return mint_agent_token("A-07", AGENT_SECRET)


@pytest.fixture(scope="module")
def conversations(assistant):  # noqa: F811
    """Drivers' conversations today, through the REST channel as a driver app sends them."""
    made = {}
    rated = f"dash-q1-{uuid.uuid4().hex[:8]}"
    metadata = {"driver_token": mint_driver_token("D-1006", TEST_SECRET)}
    answer = assistant.say(rated, Q1, metadata)
    assert any("CNMP" in (m.get("text") or "") for m in answer), answer
    assistant.say(rated, "/rate_helpful", metadata)
    made["rated"] = rated

    gibberish = f"dash-gibberish-{uuid.uuid4().hex}"
    assistant.say(gibberish, GIBBERISH)
    made["gibberish"] = gibberish

    # the lead sees an unrecognised message only once several conversations sent it
    # (consignment/analytics.py MIN_CONVERSATIONS): three drivers send the same one
    text = next((t for t in UNSURE if assistant.parse(t)["intent"]["name"] == "nlu_fallback"), "/nlu_fallback")
    unclear = [f"dash-fallback-{uuid.uuid4().hex}" for _ in range(UNCLEAR_SENDERS)]
    for sender in unclear:
        assistant.say(sender, text)
    made["unclear"], made["unclear_text"] = unclear, text

    handed = f"dash-handoff-{uuid.uuid4().hex[:8]}"
    reply = assistant.say(handed, HUMAN, {"driver_token": mint_driver_token("D-1007", TEST_SECRET)})
    assert "상담원에게 연결해 드리겠습니다" in " ".join(m.get("text", "") for m in reply), reply
    made["handed"] = handed
    return made


@pytest.fixture
def page(browser):
    # Seoul time, as the CS centre: the default range ends on today's KST date, as the server counts days
    with strict_page(browser, "the dashboard", viewport={"width": 1440, "height": 1000}, accept_downloads=True) as tab:
        tab.set_default_timeout(TIMEOUT_MS)
        yield tab


def open_dashboard(page, assistant, token: str):  # noqa: F811
    page.goto(f"{assistant.url}{DASHBOARD}")
    page.get_by_label("리드 토큰").fill(token)
    return page


def shows_numbers(page) -> None:
    """The numbers are shown — or the test fails with the Korean error the page shows instead."""
    from playwright.sync_api import expect

    shown = page.locator('[data-testid="dashboard-body"]:visible, [data-testid="dashboard-error"]:visible')
    expect(shown).to_have_count(1, timeout=TIMEOUT_MS)
    error = page.get_by_test_id("dashboard-error")
    if error.is_visible():
        pytest.fail(f"the dashboard shows an error instead of the numbers: {error.inner_text()!r}")
    expect(page.get_by_test_id("kpi-conversations")).not_to_have_attribute("data-value", "", timeout=TIMEOUT_MS)


def kpi(page, name: str) -> float:
    from playwright.sync_api import expect

    node = page.get_by_test_id(f"kpi-{name}")
    expect(node).not_to_have_attribute("data-value", "")
    return float(node.get_attribute("data-value"))


def chart_state(page, test_id: str) -> dict:
    """The Chart.js instance on the canvas and how many of its pixels are painted."""
    return page.evaluate(
        """(testId) => {
            const canvas = document.querySelector(`[data-testid="${testId}"]`);
            const chart = window.Chart && window.Chart.getChart(canvas);
            const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
            return {
                type: chart ? chart.config.type : null,
                labels: chart ? chart.data.labels : [],
                datasets: chart ? chart.data.datasets.map(d => ({label: d.label, data: d.data})) : [],
                width: canvas.width, height: canvas.height, painted,
            };
        }""",
        test_id,
    )


def today() -> str:
    return dt.datetime.now(KST).date().isoformat()


def test_the_lead_sees_the_totals_of_the_conversations_made(page, assistant, lead_token, conversations):  # noqa: F811
    from playwright.sync_api import expect

    open_dashboard(page, assistant, lead_token)
    shows_numbers(page)
    expect(page.get_by_test_id("range-to")).to_have_value(today())
    assert kpi(page, "conversations") >= 4
    assert kpi(page, "handoffs") >= 1
    assert kpi(page, "csat-up") >= 1
    assert 0 <= kpi(page, "containment") < 1  # at least one conversation was handed over
    assert kpi(page, "fallback") > 0  # the message the model was unsure of
    reason = page.locator('[data-testid="handoff-reasons"] [data-reason="driver_request"]')
    expect(reason).to_contain_text("기사님 요청")
    assert int(reason.get_attribute("data-value")) >= 1
    for outcome, label in (("suspended", "계정 정지"), ("customer_block", "특정 고객 차단"), ("none_on_record", "내역 없음")):
        expect(page.locator(f'[data-testid="q3-outcomes"] [data-outcome="{outcome}"]')).to_contain_text(label)
    for verdict, label in (("used", "사용함"), ("edited", "수정함"), ("rejected", "안 맞음")):
        expect(page.locator(f'[data-testid="verdicts"] [data-verdict="{verdict}"]')).to_contain_text(label)
    expect(page.locator('[data-testid="intents"] [data-intent="rate_helpful"]')).to_contain_text("도움이 됐어요")
    expect(page.locator('[data-testid="intents"] [data-intent="out_of_scope"]')).to_contain_text("범위 밖")
    expect(page.get_by_test_id("unrecognised").get_by_text(conversations["unclear_text"], exact=True)).to_have_count(1)


def test_every_handoff_reason_is_named_in_korean_as_the_server_names_it(page, assistant, lead_token, conversations):  # noqa: F811
    from playwright.sync_api import expect

    open_dashboard(page, assistant, lead_token)
    shows_numbers(page)
    # the reason a handoff gets while the answer server is down (server/action_server_outage.py)
    outage = page.locator('[data-testid="handoff-reasons"] [data-reason="action_server_unavailable"]')
    expect(outage.locator(".bar-name")).to_contain_text("기사님 요청 (답변 서버 장애 중)")
    names = page.locator('[data-testid="handoff-reasons"] .bar-name').all_inner_texts()
    assert not any(name.strip() in ("driver_request", "action_server_unavailable", "misunderstanding") for name in names)


def test_the_daily_charts_are_drawn(page, assistant, lead_token, conversations):  # noqa: F811
    from playwright.sync_api import expect

    open_dashboard(page, assistant, lead_token)
    shows_numbers(page)
    volume = chart_state(page, "chart-volume")
    rates = chart_state(page, "chart-rates")
    ratings = chart_state(page, "chart-ratings")
    for chart in (volume, rates, ratings):
        assert chart["type"] and chart["width"] > 100 and chart["height"] > 100, chart
        assert len(chart["labels"]) == 30 and chart["labels"][-1] == today(), chart["labels"]
        assert chart["painted"] > 2000, chart  # axes, labels and the data, not a blank canvas
    conversations_today = volume["datasets"][0]["data"][-1]
    assert volume["datasets"][0]["label"] == "대화" and conversations_today >= 4
    assert volume["datasets"][1]["label"] == "상담 연결" and volume["datasets"][1]["data"][-1] >= 1
    assert [d["label"] for d in rates["datasets"]] == ["봇 해결률", "미이해율"]
    assert rates["datasets"][1]["data"][-1] > 0
    assert ratings["datasets"][0]["label"] == "도움이 됐어요" and ratings["datasets"][0]["data"][-1] >= 1


def test_an_agent_token_is_told_that_a_lead_token_is_needed(page, assistant, agent_token):  # noqa: F811
    from playwright.sync_api import expect

    open_dashboard(page, assistant, agent_token)
    error = page.get_by_test_id("dashboard-error")
    expect(error).to_contain_text("리드 토큰 필요")
    expect(error).to_contain_text("CS 리드 토큰(role: lead)으로만 볼 수 있습니다")
    expect(error).to_have_attribute("data-status", "403")
    expect(page.get_by_test_id("dashboard-body")).to_be_hidden()


def test_the_csv_export_downloads_the_daily_rows(page, assistant, lead_token, conversations):  # noqa: F811
    from playwright.sync_api import expect

    open_dashboard(page, assistant, lead_token)
    shows_numbers(page)
    start = page.get_by_test_id("range-from").input_value()
    with page.expect_download() as info:
        page.get_by_test_id("csv-button").click()
    download = info.value
    assert download.suggested_filename == f"assistant-{start}-{today()}.csv"
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    assert rows[0] == CSV_HEADER
    last = dict(zip(CSV_HEADER, rows[-1]))
    assert last["date"] == today() and int(last["conversations"]) >= 4 and int(last["csat_up"]) >= 1


def test_a_chosen_range_is_what_the_server_is_asked_for(page, assistant, lead_token, conversations):  # noqa: F811
    from playwright.sync_api import expect

    open_dashboard(page, assistant, lead_token)
    shows_numbers(page)
    with page.expect_request(lambda r: "/webhooks/assist/analytics?" in r.url and "from=" + today() in r.url) as asked:
        page.get_by_test_id("range-from").fill(today())
        page.get_by_test_id("range-apply").click()
    assert f"to={today()}" in asked.value.url
    expect(page.get_by_test_id("dashboard-state")).to_contain_text(f"{today()} ~ {today()}")
    assert len(chart_state(page, "chart-volume")["labels"]) == 1


def test_the_dashboard_fits_a_narrow_window(page, assistant, lead_token, conversations):  # noqa: F811
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 390, "height": 844})
    open_dashboard(page, assistant, lead_token)
    shows_numbers(page)
    assert chart_state(page, "chart-volume")["painted"] > 1000
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


# ── a month of demo data for the screenshot ──────────────────────────────────
def _seed_module():
    spec = importlib.util.spec_from_file_location("seed_analytics", PROJECT_ROOT / "scripts" / "seed_analytics.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seed_month(workdir, days: int = 30, per_day: int = 40, seed: int = 7) -> int:
    """scripts/seed_analytics.py's conversations, written into the test server's own databases
    (its tracker store from the endpoints.yml it runs with, its ASSIST_DB_URL)."""
    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import read_endpoint_config

    from consignment import assist_store

    seeding = _seed_module()
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    tracker_store = TrackerStore.create(read_endpoint_config(str(workdir / "endpoints.yml"), "tracker_store"), domain)
    store = assist_store.AssistStore(f"sqlite:///{workdir / 'assist.db'}")
    rng = random.Random(seed)
    midnight = dt.datetime.now(KST).replace(hour=0, minute=0, second=0, microsecond=0)
    written = 0

    async def seed_all() -> None:
        nonlocal written
        for back in range(days, 0, -1):
            day = midnight - dt.timedelta(days=back)
            busy = 1.3 if day.weekday() in (4, 5) else 1.0
            for _ in range(int(rng.gauss(per_day * busy, per_day * 0.15))):
                hour = rng.choice([20, 21, 22, 23, 0, 1, 2, 3] * 3 + list(range(9, 20)))
                at = day + dt.timedelta(hours=hour if hour >= 9 else hour + 24, minutes=rng.uniform(0, 59))
                # the last night stays yesterday's: today's numbers are the tests' own
                at = min(at, midnight - dt.timedelta(minutes=30)).timestamp()
                sender = f"seed-{uuid.UUID(int=rng.getrandbits(128)).hex[:16]}"
                events, handoff = seeding.conversation_events(rng, at, domain.responses)
                await tracker_store.save(DialogueStateTracker.from_events(sender, events, domain.slots))
                written += 1
                if handoff:
                    seeding._handoff(store, sender, handoff, events[-1].timestamp, rng)
                if rng.random() < 0.25:
                    seeding._verdict(store, sender, events[3].text, at, rng)

    # in a thread of its own: Playwright's sync API keeps an event loop running in this one
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(seed_all())).result()
    return written


def test_screenshot_of_a_month(page, assistant, lead_token, conversations):  # noqa: F811
    from playwright.sync_api import expect

    marker = assistant.workdir / "dashboard-month-seeded"
    if not marker.exists():  # once per test server
        assert seed_month(assistant.workdir) > 500
        marker.write_text("seeded\n")
    open_dashboard(page, assistant, lead_token)
    shows_numbers(page)
    assert kpi(page, "conversations") > 500
    volume = chart_state(page, "chart-volume")
    assert sum(1 for value in volume["datasets"][0]["data"] if value > 0) >= 29  # every seeded day
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

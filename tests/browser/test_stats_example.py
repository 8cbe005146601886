"""examples/stats.html: a loopback call whose legacy and modern stats refresh side by side."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page, expect

from rtcshim.serving import ServerThread

from .example_pages import CONNECT_TIMEOUT_MS, PageProblems, open_example

# One table's values by report type and name, as the page shows them.
READ_TABLE = """(tbodyId) => {
  const values = {};
  for (const row of document.querySelectorAll(`#${tbodyId} tr[data-name]`)) {
    const type = row.dataset.type;
    values[type] = values[type] || {};
    values[type][row.dataset.name] = row.lastChild.textContent;
  }
  return values;
}"""


def assert_columns_side_by_side(page: Page) -> None:
    """In a 1280 px window, filled tables included: no sideways scroll, the modern table right of the
    legacy one (as the page says), and the page about one window high (each table scrolls itself)."""
    page.set_viewport_size({"width": 1280, "height": 720})
    layout = page.evaluate("""() => {
      const [legacy, modern] = [...document.querySelectorAll('section.stats')].map((section) => section.getBoundingClientRect());
      return {scrollWidth: document.documentElement.scrollWidth, scrollHeight: document.documentElement.scrollHeight,
              legacy: [legacy.left, legacy.right, legacy.top], modern: [modern.left, modern.right, modern.top]};
    }""")
    assert layout["scrollWidth"] <= 1280
    assert layout["modern"][0] >= layout["legacy"][1] and layout["modern"][2] == layout["legacy"][2]
    assert layout["scrollHeight"] < 2 * 720


def refreshed(page: Page) -> int:
    return int(page.locator("#refreshes").inner_text())


def test_stats_example_shows_both_forms_refreshing(shim_context: BrowserContext, server: ServerThread) -> None:
    problems = PageProblems()
    page = open_example(shim_context, problems, "/examples/stats.html", "stats")
    expect(page.locator("#status")).to_contain_text("refresh every second", timeout=CONNECT_TIMEOUT_MS)
    # Until RTCP came back and the data channel carried a message: every type Alice has is shown.
    page.wait_for_function("""() => {
      const shown = new Set([...document.querySelectorAll('#standard-stats tr.report')].map((row) => row.dataset.type));
      const message = document.querySelector('#standard-stats tr[data-type="data-channel"][data-name="messagesSent"]');
      return shown.has('remote-inbound-rtp') && message && Number(message.lastChild.textContent) > 0;
    }""", timeout=CONNECT_TIMEOUT_MS)
    legacy, standard = page.evaluate(READ_TABLE, "legacy-stats"), page.evaluate(READ_TABLE, "standard-stats")
    assert {"peer-connection", "transport", "candidate-pair", "local-candidate", "remote-candidate", "certificate",
            "codec", "outbound-rtp", "remote-inbound-rtp", "media-source", "data-channel"} <= set(standard)
    assert {"ssrc", "googCandidatePair", "googComponent", "googCertificate", "localcandidate", "remotecandidate",
            "datachannel", "googTrack"} <= set(legacy)
    assert legacy["datachannel"]["label"] == "chat" and standard["data-channel"]["label"] == '"chat"'
    assert_columns_side_by_side(page)

    # Both tables follow the call: the bytes Alice sent grow from one refresh to a later one
    # (a table keeps the last report of each type: the same stream in both readings).
    count = refreshed(page)
    page.wait_for_function("(count) => Number(document.getElementById('refreshes').textContent) > count + 1",
                           arg=count, timeout=CONNECT_TIMEOUT_MS)
    later_legacy, later_standard = page.evaluate(READ_TABLE, "legacy-stats"), page.evaluate(READ_TABLE, "standard-stats")
    assert int(later_legacy["ssrc"]["bytesSent"]) > int(legacy["ssrc"]["bytesSent"])
    assert int(later_standard["transport"]["bytesSent"]) > int(standard["transport"]["bytesSent"])

    page.click("#hang-up")
    expect(page.locator("#status")).to_have_text("Hung up.")
    assert problems.reports == []

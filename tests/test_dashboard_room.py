"""The workshop page in a room: a session per tab and a projector's width.

(Twenty laptops at once is in test_dashboard_laptops.py: a long test of its own, in a file of its own so
that pytest-xdist can run it beside the rest of this file.)
"""

from __future__ import annotations

import pytest


def _token(value: float) -> str:
    return f"sharing.delay_scale={value:g}"


# ---------------------------------------------------------------- a session per tab


def test_a_reload_and_other_tabs_each_get_their_own_session(shared_dashboard, chromium_browser):
    """The first tab, its reload, and two more browsers: each moves its own slider, sees only its own run."""
    from playwright.sync_api import expect

    _, url, _ = shared_dashboard
    errors: list[str] = []
    browser = chromium_browser
    contexts = [browser.new_context() for _ in range(3)]

    def open_tab(context):
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        response = page.goto(url, timeout=30_000)
        assert response is not None and response.status == 200, response and response.status
        page.get_by_test_id("detected").wait_for(timeout=30_000)
        return page

    def move(page, key: str, token: str) -> None:
        handle = page.locator(".tt-delay .noUi-handle")
        handle.focus()
        handle.press(key)
        expect(page.get_by_test_id("command")).to_contain_text(token, timeout=10_000)

    first = open_tab(contexts[0])
    move(first, "Home", _token(0))
    response = first.reload(timeout=30_000)  # used to answer "500: Internal Server Error"
    assert response is not None and response.status == 200, response and response.status
    first.get_by_test_id("detected").wait_for(timeout=30_000)
    expect(first.get_by_test_id("command")).not_to_contain_text("delay_scale"), "a reload is a fresh session"
    move(first, "End", _token(3))

    second = open_tab(contexts[1])
    third = open_tab(contexts[2])
    expect(second.get_by_test_id("command")).not_to_contain_text("delay_scale")
    move(second, "Home", _token(0))
    move(third, "ArrowRight", _token(1.05))
    for page in (first, second, third):
        page.locator(".tt-end button").click()
    pages = {"first": (first, _token(3)), "second": (second, _token(0)), "third": (third, _token(1.05))}
    detected = {}
    for name, (page, token) in pages.items():
        expect(page.get_by_test_id("clock")).to_have_attribute("data-hours", "2400.0000", timeout=10_000)
        expect(page.get_by_test_id("en-route")).to_have_text("0")
        command = page.get_by_test_id("command").inner_text()
        assert token in command.split(), f"the {name} tab shows {command}"
        detected[name] = int(page.get_by_test_id("detected").inner_text())
    # Same travellers (seed 4101): instant sharing stops at least as many as three times slower.
    assert detected["second"] >= detected["third"] >= detected["first"], detected
    assert detected["second"] > detected["first"], detected
    for context in contexts:
        context.close()
    assert not errors, errors


# ---------------------------------------------------------------- a projector's width

# Every text node of the page (through Bokeh's shadow roots): its box must lie inside every
# ancestor that clips (overflow not visible) and inside the window; the page's panels must not
# overlap one another. Returns the problems found, in words.
CUT_OR_OVERLAPPING_JS = """
() => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  const texts = [];
  const hosts = [];
  const walk = (root) => {
    const nodes = root.querySelectorAll('*');
    for (const el of nodes) {
      if (el.shadowRoot) walk(el.shadowRoot);
      for (const child of el.childNodes) {
        if (child.nodeType === 3 && child.textContent.trim()) texts.push(child);
      }
      const cls = el.classList ? [...el.classList] : [];
      if (cls.some(c => ['tt-header', 'tt-cards', 'tt-chain', 'tt-controls', 'tt-footer',
                         'tt-over-time-panel', 'tt-network-panel'].includes(c))) hosts.push(el);
    }
  };
  walk(document);
  const parentOf = (el) => el.parentElement || (el.getRootNode() && el.getRootNode().host) || null;
  for (const text of texts) {
    const range = document.createRange();
    range.selectNodeContents(text);
    const box = range.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const what = JSON.stringify(text.textContent.trim().slice(0, 50));
    if (box.left < -0.5 || box.right > width + 0.5) problems.push(`${what} leaves the window (${box.left}..${box.right} of ${width})`);
    for (let el = text.parentElement || text.parentNode.host; el; el = parentOf(el)) {
      if (!(el instanceof Element)) break;
      const style = getComputedStyle(el);
      if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
      const clip = el.getBoundingClientRect();
      const scrolls = el === document.body || el === document.documentElement;  // the page scrolls down
      const outside = box.left < clip.left - 1 || box.right > clip.right + 1;
      if (outside || (!scrolls && (box.top < clip.top - 1 || box.bottom > clip.bottom + 1))) {
        problems.push(`${what} is cut by <${el.tagName.toLowerCase()} class="${el.className}">`);
        break;
      }
    }
  }
  const rects = hosts.map(el => [[...el.classList].find(c => c.startsWith('tt-')), el.getBoundingClientRect()]);
  for (let i = 0; i < rects.length; i++) {
    for (let j = i + 1; j < rects.length; j++) {
      const [a, ra] = rects[i], [b, rb] = rects[j];
      const x = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const y = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (x > 1 && y > 1 && a !== b) problems.push(`${a} and ${b} overlap (${x.toFixed(0)} x ${y.toFixed(0)} px)`);
    }
  }
  return problems;
}
"""

# The network is drawn on a canvas: measure each agency's name and count, and each link's label,
# with the canvas's own fonts, and check they fit their box and the plot.
NETWORK_LABELS_JS = """
() => {
  const doc = Bokeh.documents[0];
  const plot = [...doc.all_models].find(m => (m.css_classes || []).includes('tt-network'));
  const sources = [...doc.all_models].filter(m => m.type === 'ColumnDataSource' || m.constructor.name === 'ColumnDataSource');
  const nodes = sources.find(s => s.data.code !== undefined && s.data.y_code !== undefined);
  const labels = sources.find(s => s.data.text !== undefined && s.data.colour !== undefined && s.data.x !== undefined);
  const w = plot.inner_width, h = plot.inner_height;
  const xr = plot.x_range, yr = plot.y_range;
  const px = (x) => (x - xr.start) / (xr.end - xr.start) * w;
  const py = (y) => (y - yr.start) / (yr.end - yr.start) * h;
  const ctx = document.createElement('canvas').getContext('2d');
  const problems = [];
  const box = 2.8 / (xr.end - xr.start) * w;
  for (let i = 0; i < nodes.data.code.length; i++) {
    for (const [text, font] of [[nodes.data.code[i], 'bold 16px DejaVu Sans'], [nodes.data.sub[i], '14px DejaVu Sans']]) {
      ctx.font = font;
      const tw = ctx.measureText(text).width;
      if (tw > box - 4) problems.push(`${text}: ${tw.toFixed(0)} px in a ${box.toFixed(0)} px box`);
    }
  }
  ctx.font = '14px DejaVu Sans';
  for (let i = 0; i < (labels ? labels.data.text.length : 0); i++) {
    const tw = ctx.measureText(labels.data.text[i]).width, x = px(labels.data.x[i]), y = py(labels.data.y[i]);
    if (x - tw / 2 < 0 || x + tw / 2 > w || y - 9 < 0 || y + 9 > h) problems.push(`${labels.data.text[i]} leaves the plot`);
  }
  if (!(w > 0)) problems.push('the network plot has no width');
  // Any plot: its title, and every text glyph placed in data units, must fit the plot.
  for (const p of [...doc.all_models].filter(m => m.title !== undefined && m.renderers !== undefined)) {
    const pw = p.inner_width, ph = p.inner_height;
    if (p.title && p.title.text) {
      ctx.font = `${p.title.text_font_style} ${p.title.text_font_size} DejaVu Sans`;
      const tw = ctx.measureText(p.title.text).width;
      if (tw > p.outer_width - 10) problems.push(`title ${JSON.stringify(p.title.text)} (${tw.toFixed(0)} px) is cut at ${p.outer_width} px`);
    }
    for (const r of p.renderers) {
      const g = r.glyph;
      if (!g || g.constructor.name !== 'Text' || !r.visible) continue;
      const data = r.data_source.data;
      const col = (spec) => spec && spec.field !== undefined ? data[spec.field] : null;
      const xs = col(g.x), texts = col(g.text);
      if (!xs || !texts || p.x_range.start === undefined) continue;
      const size = g.text_font_size.value ?? g.text_font_size, style = g.text_font_style.value ?? g.text_font_style;
      const align = g.text_align.value ?? g.text_align;
      ctx.font = `${style} ${size} DejaVu Sans`;
      for (let i = 0; i < texts.length; i++) {
        const tw = ctx.measureText(String(texts[i])).width;
        const x = (xs[i] - p.x_range.start) / (p.x_range.end - p.x_range.start) * pw;
        const left = align === 'right' ? x - tw : align === 'center' ? x - tw / 2 : x;
        if (left < -p.min_border || left + tw > pw + 2) problems.push(`${JSON.stringify(String(texts[i]))} is cut by its plot`);
      }
    }
  }
  return problems;
}
"""


@pytest.mark.parametrize("compare", [False, True, "costs"], ids=["alone", "compared", "cost-of-sharing"])
def test_nothing_is_cut_or_overlapping_at_1280_1400_and_1920_px(shared_dashboard, chromium_browser, compare, tmp_path):
    from playwright.sync_api import expect

    _, url, _ = shared_dashboard
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url, timeout=30_000)
    page.get_by_test_id("detected").wait_for(timeout=30_000)
    if compare == "costs":  # the Wrongly stopped card, adaptive trust on the links' labels, a short retention
        page.locator(".tt-scenario select").select_option(label="Act or verify, checked (act-or-verify-checked.yaml)")
        expect(page.get_by_test_id("wrongful")).to_be_visible()
        page.locator(".tt-adaptive button").click()
        expect(page.get_by_test_id("command")).to_contain_text("adaptive: true")
        handle = page.locator(".tt-retention .noUi-handle")
        handle.focus()
        handle.press("Home")
        expect(page.get_by_test_id("command")).to_contain_text("retention_days=5")
    if compare:
        page.locator(".tt-compare button").click()
        expect(page.get_by_test_id("delta")).to_be_visible()
    page.locator(".tt-end button").click()  # the longest numbers and chain labels
    expect(page.get_by_test_id("clock")).to_have_attribute("data-hours", "2400.0000")
    found = {}
    for width in (1280, 1400, 1920):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(600)  # Bokeh lays the page out again
        problems = page.evaluate(CUT_OR_OVERLAPPING_JS) + page.evaluate(NETWORK_LABELS_JS)
        if problems:
            page.screenshot(path=tmp_path / f"page-{width}.png", full_page=True)
            found[width] = problems
    context.close()
    assert not found, found

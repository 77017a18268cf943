"""Front end: one status palette for the admin and the pages, one socket module, skip link / aria-live / sr-only."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

from assignments.models import Assignment, Rep
from campaigns.admin_common import badge
from campaigns.models import BuyerDelivery, IntakeAttempt, Lead, LeadDistribution, WebhookDelivery
from tests.factories import ManagerFactory, RepFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
PALETTE = ROOT / "leadcrm" / "static" / "leadcrm" / "palette.css"
BASE_CSS = ROOT / "leadcrm" / "static" / "leadcrm" / "base.css"
ASSETS = ROOT / "assignments" / "static" / "assignments"

# Every value a badge is drawn for: the models' choices and the values the lab's admin maps its states onto.
STATUS_VALUES = (
    {c.value for c in Lead.Status} | {c.value for c in Assignment.Status} | {c.value for c in Rep.Status}
    | {c.value for c in IntakeAttempt.Outcome} | {c.value for c in WebhookDelivery.State}
    | {c.value for c in BuyerDelivery.Outcome} | {c.value for c in LeadDistribution.State}
    | {"new", "pending", "delivered", "failed", "revoked", "completed", "accepted"}
)


def css_rules(path: Path) -> list[tuple[list[str], dict[str, str]]]:
    """(selectors, declarations) of each plain rule of a flat stylesheet (no nesting beyond @media is used)."""
    text = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.DOTALL)
    rules = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        declarations = {k.strip(): v.strip() for k, _, v in
                        (d.partition(":") for d in body.split(";") if d.strip())}
        rules.append(([s.strip() for s in selectors.split(",")], declarations))
    return rules


def contrast(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        r, g, b_ = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# --- palette ------------------------------------------------------------------------------------------------------

def test_palette_defines_each_status_class_exactly_once_with_accessible_contrast():
    rules = css_rules(PALETTE)
    selectors = [s for selector_list, _ in rules for s in selector_list]
    status_classes = [s for s in selectors if s.startswith(".badge-")]
    assert len(status_classes) == len(set(status_classes)), "a status class is defined twice"
    assert {f".badge-{value}" for value in STATUS_VALUES} <= set(status_classes)
    assert selectors.count(".badge") == 1
    for selector_list, declarations in rules:
        if any(s == ".badge" or s.startswith(".badge-") for s in selector_list):
            assert contrast(declarations["color"], declarations["background"]) >= 4.5, selector_list


def test_declined_has_one_colour_everywhere_and_no_other_stylesheet_colours_badges():
    sheets = list(ROOT.glob("*/static/**/*.css"))
    assert PALETTE in sheets and ASSETS / "live.css" in sheets
    for sheet in sheets:
        if sheet != PALETTE:
            assert not re.search(r"\.badge\b", re.sub(r"/\*.*?\*/", "", sheet.read_text(), flags=re.DOTALL)), sheet
    declined = [d for selector_list, d in css_rules(PALETTE) if ".badge-declined" in selector_list]
    assert len(declined) == 1


def test_admin_badge_is_only_the_class_with_the_label_escaped():
    html = badge(value="declined", label="<b>Declined</b>")
    assert html == '<span class="badge badge-declined">&lt;b&gt;Declined&lt;/b&gt;</span>'
    assert "style" not in html


@pytest.mark.django_db
def test_admin_pages_load_the_palette_and_draw_badges_without_inline_style(admin_client):
    RepFactory(status=Rep.Status.AWAY)
    html = admin_client.get("/admin/assignments/rep/").content.decode()
    assert '<link rel="stylesheet" href="/static/leadcrm/palette.css">' in html
    assert '<span class="badge badge-away">Away</span>' in html
    assert not re.search(r'<span class="badge[^"]*" style=', html)
    assert '<link rel="stylesheet" href="/static/leadcrm/palette.css">' in admin_client.get("/admin/").content.decode()
    assert Client().get("/static/leadcrm/palette.css").status_code == 200


# --- pages: palette, socket module, accessibility --------------------------------------------------------------------

class Outline(HTMLParser):
    """The body's first element and every element's attributes by id."""

    def __init__(self):
        super().__init__()
        self.in_body = False
        self.first_in_body = None
        self.by_id = {}
        self.scripts = []
        self.text_after_first = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.in_body = True
        elif self.in_body and self.first_in_body is None:
            self.first_in_body = (tag, attrs)
        if "id" in attrs:
            self.by_id[attrs["id"]] = (tag, attrs)
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])

    def handle_data(self, data):
        if self.first_in_body is not None and len(self.text_after_first) < 1 and data.strip():
            self.text_after_first.append(data.strip())


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


def page(path: str, user) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/rep/", "/live/"])
def test_page_starts_with_a_skip_link_to_its_main_content(path):
    user = RepFactory().user if path == "/rep/" else ManagerFactory()
    parsed = outline(page(path, user))
    tag, attrs = parsed.first_in_body
    assert (tag, attrs.get("class"), attrs.get("href")) == ("a", "skip-link", "#main-content")
    assert parsed.text_after_first == ["Skip to content"]
    assert parsed.by_id["main-content"][0] == "main"


@pytest.mark.django_db
def test_sign_in_page_has_the_skip_link_too():
    parsed = outline(Client().get("/accounts/login/").content.decode())
    assert parsed.first_in_body[1].get("href") == "#main-content" and "main-content" in parsed.by_id


@pytest.mark.django_db
def test_rep_queue_is_a_polite_live_region():
    parsed = outline(page("/rep/", RepFactory().user))
    assert parsed.by_id["queue"][1].get("aria-live") == "polite"


def test_base_stylesheet_has_sr_only_and_a_skip_link_shown_on_focus():
    rules = {selector: d for selector_list, d in css_rules(BASE_CSS) for selector in selector_list}
    assert rules[".sr-only"]["position"] == "absolute" and rules[".sr-only"]["width"] == "1px"
    assert "clip" in rules[".sr-only"] and rules[".sr-only"]["overflow"] == "hidden"
    assert ".skip-link" in rules and ".skip-link:focus" in rules
    assert ".sr-only" not in (ASSETS / "live.css").read_text()  # one definition, in the base stylesheet


@pytest.mark.django_db
@pytest.mark.parametrize("path,script", [("/rep/", "rep.js"), ("/live/", "live.js")])
def test_pages_load_the_palette_and_the_socket_module_before_their_script(path, script):
    user = RepFactory().user if path == "/rep/" else ManagerFactory()
    html = page(path, user)
    assert '<link rel="stylesheet" href="/static/leadcrm/palette.css">' in html
    scripts = outline(html).scripts
    assert scripts.index("/static/assignments/socket.js") < scripts.index(f"/static/assignments/{script}")
    for src in scripts:
        assert Client().get(src).status_code == 200, src


def test_socket_code_lives_only_in_the_socket_module():
    socket = (ASSETS / "socket.js").read_text()
    assert "window.LeadSocket" in socket and "new WebSocket(" in socket
    assert "25000" in socket and "Math.pow(2, attempt)" in socket and "skewMs" in socket
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in socket
    for name in ("rep.js", "live.js"):
        source = (ASSETS / name).read_text()
        assert "LeadSocket.create(" in source
        for duplicate in ("new WebSocket(", "pongTimer", "Math.pow(2, attempt)", "skewMs", "readyState"):
            assert duplicate not in source, (name, duplicate)


@pytest.mark.django_db
def test_a_user_without_a_role_still_gets_the_skip_link_on_the_403_page():
    response = Client()
    response.force_login(UserFactory())
    parsed = outline(response.get("/rep/").content.decode())
    assert parsed.first_in_body[1].get("class") == "skip-link"

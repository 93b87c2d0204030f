"""The Entropic UI in a real headless Chromium (Debian `chromium` + `chromium-driver`, selenium 4)
against a real `a4ps serve`: the browser signs in with a one-time login URL (the session
cookie, never the token), and every test waits on conditions (WebDriverWait), never on sleeps.
The deliberation and the documents need a model (the embedded one from Scripts/install-local-model,
or Ollama): without one those two tests skip, saying so. The tests of runs, graphs, the debugger,
the forge and the strategic sections need none: their deliberations are graphs of Lua methods
installed through the API, and the forge and the DEBUGGER think with a scripted OpenAI-compatible
server (ScriptedModel) that answers known prompts with fixed code. Screenshots (world.png,
inspector.png, thinking.png, run-graph.png) go to $A4PS_SCREENSHOTS, else .build/screenshots (out
of git); the README's are copies in docs/screenshots/."""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import wait_for

selenium = pytest.importorskip("selenium")
from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = os.environ.get("A4PS_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("A4PS_CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS = Path(os.environ.get("A4PS_SCREENSHOTS") or Path(__file__).resolve().parents[2] / ".build" / "screenshots")
PERSONAS = ["ALFRED", "BRICK", "ROBIN", "BABS", "DEBUGGER"]
WAIT = 60          # a page, a request, an event
THINKING = 600     # a deliberation of the four personas on the embedded model (CPU)


@pytest.fixture
def driver():
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        pytest.skip(f"needs Debian chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER})")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1440,900", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    browser.set_page_load_timeout(WAIT)
    yield browser
    browser.quit()


@pytest.fixture
def ui(serve, driver):
    """A server, and the browser signed in to it (its UI loaded, the event stream open)."""
    server = serve()
    sign_in(server, driver)
    return server, driver


def sign_in(server, driver):
    status, body = server.request("POST", "/login/code")
    assert status == 200, body
    assert body["url"].startswith(server.url + "/login?code="), body
    driver.get(body["url"])
    wait_ready(driver)
    assert "/login" not in driver.current_url, "the login code stays in the address bar"


def needs_the_model(server):
    """Thinking and embedding need a model server: the embedded one (Scripts/install-local-model) or Ollama."""
    if any("embedded model is not installed" in line for line in server.output):
        pytest.skip("no model to think or embed with: the embedded local model is not installed "
                    "(Scripts/install-local-model) and Ollama does not answer")


def wait_ready(driver):
    WebDriverWait(driver, WAIT).until(lambda d: d.execute_script("return document.body.dataset.ready === 'true'"),
                                      "the UI to start (body[data-ready])")
    WebDriverWait(driver, WAIT).until(
        lambda d: d.find_element(By.ID, "connection").get_attribute("data-state") == "open", "the event stream to open")


def until(driver, condition, what, timeout=WAIT):
    """Waits for `condition(driver)` (stale elements retried); fails naming `what`."""
    def check(d):
        try:
            return condition(d)
        except StaleElementReferenceException:
            return False
    return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(check, f"waiting for {what}")


def morph(driver, name):
    return driver.find_element(By.CSS_SELECTOR, f'.morph[data-proto="{name}"]')


def tab(driver, panel):
    driver.find_element(By.ID, f"tab-{panel}").click()
    until(driver, lambda d: d.find_element(By.ID, f"panel-{panel}").is_displayed(), f"the {panel} panel")


def type_into(element, text):
    element.clear()
    element.send_keys(text)


def click(driver, by, selector, what=None):
    """Clicks a control of a live panel (one that re-renders on events): found afresh until the click lands."""
    until(driver, lambda d: d.find_element(by, selector).click() or True, what or f"to click {selector}")


def fill_in(driver, element_id, text):
    """Types into a field of a live panel, found afresh until the typing lands."""
    def typed(d):
        type_into(d.find_element(By.ID, element_id), text)
        return d.find_element(By.ID, element_id).get_attribute("value") == text
    until(driver, typed, f"to type into #{element_id}")


def severe(driver):
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def screenshot(driver, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / name))


def active(driver):
    return driver.switch_to.active_element


class ScriptedModel:
    """An OpenAI-compatible model server (/v1/models, /v1/chat/completions streamed or not,
    /v1/embeddings) that answers from a script: the answer of the first (cue, answer) whose cue is
    in the last message, else a fixed sentence. It serves every persona's default model name, and
    keeps the prompts it was sent (`prompts`)."""
    MODELS = ["mistral:7b-instruct", "phi3:mini-4k-instruct", "llama3.1:8b-instruct", "gemma2:9b-instruct", "nomic-embed-text"]

    def __init__(self):
        self.script: list[tuple[str, str]] = []
        self.prompts: list[str] = []
        model = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body, content_type="application/json"):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == "/v1/models":
                    self.reply(200, {"object": "list", "data": [{"id": name, "object": "model"} for name in model.MODELS]})
                else:
                    self.reply(404, {"error": {"message": f"no {self.path}"}})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if self.path == "/v1/embeddings":
                    inputs = body.get("input") if isinstance(body.get("input"), list) else [body.get("input") or ""]
                    self.reply(200, {"data": [{"index": i, "embedding": [1.0, float(len(text) % 7), 0.5]} for i, text in enumerate(inputs)]})
                    return
                if self.path != "/v1/chat/completions":
                    self.reply(404, {"error": {"message": f"no {self.path}"}})
                    return
                prompt = str((body.get("messages") or [{}])[-1].get("content", ""))
                model.prompts.append(prompt)
                answer = next((a for cue, a in model.script if cue in prompt), "Nothing to add.")
                usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
                if body.get("stream"):
                    chunks = [{"choices": [{"index": 0, "delta": {"content": answer}, "finish_reason": None}]},
                              {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": usage}]
                    text = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
                    self.reply(200, text.encode(), "text/event-stream")
                else:
                    self.reply(200, {"choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                                                  "finish_reason": "stop"}], "usage": usage})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def config(self) -> str:
        """Every persona on this server; no Oracle scoring and no motivator (nothing thinks unasked)."""
        return (f'[backends.scripted]\nkind = "openai"\nhost = "{self.url}"\n\n[inference]\ndefault_backend = "scripted"\n\n'
                '[strategic]\nscore_deliberations = false\n\n[motivator]\nenabled = false\n')

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted_model():
    model = ScriptedModel()
    yield model
    model.close()


@pytest.fixture
def quiet_ui(serve, driver, scripted_model):
    """A server that thinks only with the scripted model, and the browser signed in to it."""
    server = serve(config=scripted_model.config())
    sign_in(server, driver)
    return server, driver, scripted_model


def define(server, proto, selector, source):
    status, body = server.request("PUT", f"/protos/{proto}/methods/{selector}", raw=source.encode(),
                                  headers={"Content-Type": "text/plain"})
    assert status == 200, body


def deliberate_with(server, graph, methods):
    """Makes ALFRED's deliberation `graph`, its nodes these Lua methods ({(proto, selector): source}):
    POST /runs then runs it, no model needed."""
    for (proto, selector), source in methods.items():
        define(server, proto, selector, source)
    status, body = server.request("PUT", "/protos/ALFRED/slots/deliberation", graph)
    assert status == 200, body


def start_run(server, task, until_status=("done", "paused", "failed")):
    status, body = server.request("POST", "/runs", {"task": task})
    assert status == 202, body
    run = body["run"]["id"]
    wait_for(lambda: server.request("GET", f"/runs/{run}")[1]["status"] in until_status, f"run {run} to stop", deadline=WAIT)
    return run


# A graph that loops through a router and pauses for a human: start → work → (ALFRED>>uiRoute:
# work again until count is 2, then ask) → ask (interrupt) → END; "skip" is never reached.
ROUTED_GRAPH = {
    "entry": "start",
    "nodes": {"start": {"proto": "ALFRED", "selector": "uiStart"}, "work": {"proto": "BRICK", "selector": "uiWork"},
              "ask": {"proto": "ROBIN", "selector": "uiAsk"}, "skip": {"proto": "BABS", "selector": "uiSkip"}},
    "edges": {"start": "work", "work": {"proto": "ALFRED", "selector": "uiRoute"}, "ask": "END", "skip": "END"},
    "merge": {"dialogue": "append"},
}
ROUTED_METHODS = {
    ("ALFRED", "uiStart"): "return {count = 0}",
    ("BRICK", "uiWork"): 'return {count = args.count + 1, dialogue = {{persona = "BRICK", text = "step " .. (args.count + 1)}}}',
    ("ALFRED", "uiRoute"): 'if args.count < 2 then return "work" end\nreturn "ask"',
    ("ROBIN", "uiAsk"): 'local colour = interrupt({question = "Which colour?"})\nreturn {answer = "the sky is " .. tostring(colour)}',
    ("BABS", "uiSkip"): "return {}",
}


# MARK: the world


def test_the_page_loads_with_the_morphs_and_no_console_errors(ui):
    server, driver = ui
    for name in PERSONAS:
        element = morph(driver, name)
        assert element.get_attribute("role") == "group"
        assert element.get_attribute("aria-label").startswith(name)
        assert element.get_attribute("data-state") == "idle"
        assert element.value_of_css_property("position") == "absolute"
    assert not driver.find_elements(By.TAG_NAME, "canvas"), "the world is DOM, not a canvas"
    # Every panel has a heading, every control that acts is a <button>.
    for section in driver.find_elements(By.CSS_SELECTOR, "section.panel"):
        assert section.find_elements(By.TAG_NAME, "h2"), section.get_attribute("id")
    assert driver.find_element(By.CSS_SELECTOR, '.morph[data-proto="BABS"] button.send-file').text == "Send file…"
    # Other protos are listed on demand and can join the world.
    status, protos = server.request("GET", "/protos")
    others = [p["name"] for p in protos if p["name"] not in PERSONAS]
    if others:
        options = [o.get_attribute("value") for o in driver.find_elements(By.CSS_SELECTOR, "#add-proto option")]
        assert others[0] in options
    errors = severe(driver)
    assert not errors, f"console errors on load: {errors}"


def test_a_dragged_morph_keeps_its_position_after_a_reload(ui):
    server, driver = ui
    element = morph(driver, "BRICK")
    before = (element.location["x"], element.location["y"])
    ActionChains(driver).drag_and_drop_by_offset(element, 160, 90).perform()
    left, top = (int(element.value_of_css_property(p).removesuffix("px")) for p in ("left", "top"))
    assert (element.location["x"], element.location["y"]) != before, "the morph did not follow the pointer"
    wait_for(lambda: server.request("GET", "/protos/BRICK/slots/morph")[1].get("value") == {"x": left, "y": top},
             "the position to be kept in the image", deadline=WAIT)
    driver.refresh()
    wait_ready(driver)
    element = morph(driver, "BRICK")
    assert element.value_of_css_property("left") == f"{left}px"
    assert element.value_of_css_property("top") == f"{top}px"
    # A click without a drag talks to the morph (use mode) and moves nothing.
    element.click()
    until(driver, lambda d: d.find_element(By.ID, "panel-send").is_displayed(), "the Send panel for BRICK")
    assert driver.find_element(By.ID, "send-proto").get_attribute("value") == "BRICK"
    assert server.request("GET", "/protos/BRICK/slots/morph")[1]["value"] == {"x": left, "y": top}


def test_keyboard_only_reaches_a_morph_opens_its_halo_and_inspects(ui):
    server, driver = ui
    for _ in range(12):  # from the top of the page
        ActionChains(driver).send_keys(Keys.TAB).perform()
        if "morph" in (active(driver).get_attribute("class") or ""):
            break
    first = active(driver).get_attribute("data-proto")
    assert first in PERSONAS, "Tab never reached a morph"
    ActionChains(driver).send_keys(Keys.ARROW_RIGHT).perform()
    until(driver, lambda d: active(d).get_attribute("data-proto") not in (None, first), "the arrow key to move to another morph")
    second = active(driver).get_attribute("data-proto")
    # "h" opens the halo on the focused morph, with focus on its first handle.
    ActionChains(driver).send_keys("h").perform()
    halo = until(driver, lambda d: d.find_element(By.CSS_SELECTOR, '.halo[role="toolbar"]'), "the halo")
    assert halo.get_attribute("aria-label") == f"Halo of {second}"
    labels = [b.text for b in halo.find_elements(By.TAG_NAME, "button")]
    for handle in ("Inspect", "Send", "Methods", "Debug", "History", "Move"):
        assert handle in labels
    assert active(driver).get_attribute("aria-label") == f"Inspect {second}"
    screenshot(driver, "world.png")
    ActionChains(driver).send_keys(Keys.ARROW_RIGHT).perform()
    assert active(driver).get_attribute("aria-label") == f"Send {second}"
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    until(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, ".halo"), "Escape to close the halo")
    assert active(driver).get_attribute("data-proto") == second, "focus goes back to the morph"
    # Ctrl+I inspects the focused morph.
    ActionChains(driver).key_down(Keys.CONTROL).send_keys("i").key_up(Keys.CONTROL).perform()
    until(driver, lambda d: d.find_element(By.ID, "heading-inspector").text == f"Inspector — {second}", "the inspector")
    until(driver, lambda d: d.find_element(By.CSS_SELECTOR, '#panel-inspector [data-section="methods"]'), "its methods")
    # The halo's Inspect, by keyboard too, on another morph (focus stayed on the morph).
    assert active(driver).get_attribute("data-proto") == second
    ActionChains(driver).send_keys(Keys.ARROW_LEFT).perform()
    until(driver, lambda d: active(d).get_attribute("data-proto") not in (None, second), "the arrow key to move on")
    third = active(driver).get_attribute("data-proto")
    ActionChains(driver).send_keys("h").perform()
    until(driver, lambda d: active(d).get_attribute("aria-label") == f"Inspect {third}", "the halo of the next morph")
    ActionChains(driver).send_keys(Keys.ENTER).perform()
    until(driver, lambda d: d.find_element(By.ID, "heading-inspector").text == f"Inspector — {third}", "the inspector of that morph")
    # Move without dragging (WCAG 2.5.7): the halo's Move, arrow keys, Enter keeps the place.
    until(driver, lambda d: active(d).get_attribute("data-proto") == third, "focus back on the morph")
    element = morph(driver, third)
    x, y = (int(element.value_of_css_property(p).removesuffix("px")) for p in ("left", "top"))
    ActionChains(driver).send_keys("h").perform()
    until(driver, lambda d: active(d).get_attribute("aria-label") == f"Inspect {third}", "the halo again")
    ActionChains(driver).send_keys(Keys.END, Keys.ARROW_LEFT).perform()
    assert active(driver).get_attribute("aria-label") == f"Move {third}"
    ActionChains(driver).send_keys(Keys.ENTER).perform()
    until(driver, lambda d: element.get_attribute("data-moving") == "true", "move mode")
    ActionChains(driver).send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_DOWN, Keys.ARROW_DOWN, Keys.ENTER).perform()
    wait_for(lambda: server.request("GET", f"/protos/{third}/slots/morph")[1].get("value") == {"x": x + 30, "y": y + 20},
             "the moved place to be kept", deadline=WAIT)


def test_the_halo_clones_a_proto_and_its_morph_joins_the_world_beside_the_original(ui):
    server, driver = ui
    driver.find_element(By.ID, "edit-mode").click()
    morph(driver, "BRICK").click()
    halo = until(driver, lambda d: d.find_element(By.CSS_SELECTOR, '.halo[role="toolbar"]'), "BRICK's halo")
    halo.find_element(By.CSS_SELECTOR, 'button[data-action="clone"]').click()
    form = until(driver, lambda d: d.find_element(By.ID, "clone-form"), "the inline clone form")
    assert form.get_attribute("data-original") == "BRICK"
    name = driver.find_element(By.ID, "clone-name")
    until(driver, lambda d: active(d) == name, "focus in the name field")
    # A name that is taken is refused in the form, and nothing is created.
    type_into(name, "ROBIN")
    driver.find_element(By.ID, "clone-submit").click()
    until(driver, lambda d: d.find_element(By.ID, "clone-error").text, "the refusal in the form")
    assert server.request("GET", "/protos/ROBIN")[1]["codex"]["name"] == "ROBIN"
    type_into(name, "BRICK_TWIN")
    driver.find_element(By.ID, "clone-submit").click()
    twin = until(driver, lambda d: d.find_element(By.CSS_SELECTOR, '.morph[data-proto="BRICK_TWIN"]'), "the clone's morph")
    assert not driver.find_elements(By.ID, "clone-form"), "the form stays open"
    status, clone = server.request("GET", "/protos/BRICK_TWIN")
    status_original, original = server.request("GET", "/protos/BRICK")
    assert status == 200 and sorted(clone["methods"]) == sorted(original["methods"]), clone
    # Beside its original: one morph's step away, on top of no other morph; the place is kept in the image.
    def box(element):
        return {k: round(float(element.value_of_css_property(k).removesuffix("px"))) for k in ("left", "top", "width", "height")}
    here, there = box(twin), box(morph(driver, "BRICK"))
    assert (here["left"], here["top"]) != (there["left"], there["top"])
    assert abs(here["left"] - there["left"]) <= there["width"] + 40 and abs(here["top"] - there["top"]) <= there["height"] + 60, (here, there)
    for other in driver.find_elements(By.CSS_SELECTOR, ".morph"):
        if other.get_attribute("data-proto") != "BRICK_TWIN":
            b = box(other)
            assert abs(b["left"] - here["left"]) >= here["width"] * 0.8 or abs(b["top"] - here["top"]) >= here["height"] * 0.8, other.get_attribute("data-proto")
    wait_for(lambda: server.request("GET", "/protos/BRICK_TWIN/slots/morph")[1].get("value") == {"x": here["left"], "y": here["top"]},
             "the clone's place to be kept", deadline=WAIT)
    # A clone of a placed proto made elsewhere joins the world live (protoCreated), beside its original too.
    assert server.request("PUT", "/protos/ROBIN/slots/morph", {"x": 520, "y": 560})[0] == 200
    until(driver, lambda d: morph(d, "ROBIN").value_of_css_property("top") == "560px", "ROBIN's new place")
    status, body = server.request("POST", "/protos/ROBIN/clone", {"name": "ROBIN_TWIN"})
    assert status == 201, body
    other = until(driver, lambda d: d.find_element(By.CSS_SELECTOR, '.morph[data-proto="ROBIN_TWIN"]'), "the clone made elsewhere")
    assert box(other) != box(morph(driver, "ROBIN"))
    # After a reload the clone is still in the world, where it was put.
    driver.refresh()
    wait_ready(driver)
    assert box(morph(driver, "BRICK_TWIN"))["top"] == here["top"] and box(morph(driver, "BRICK_TWIN"))["left"] == here["left"]
    errors = [entry for entry in severe(driver) if entry.get("source") != "network"]  # the refusal's 409 is expected
    assert not errors, errors


def test_the_dissonance_of_a_deliberation_glows_on_every_persona_that_took_part(quiet_ui):
    server, driver, _ = quiet_ui
    graph = {"entry": "brick", "merge": {"dialogue": "append"},
             "nodes": {"brick": {"proto": "BRICK", "selector": "uiPropose"}, "robin": {"proto": "ROBIN", "selector": "uiEvaluate"},
                       "measure": {"proto": "ALFRED", "selector": "uiMeasure"}},
             "edges": {"brick": "robin", "robin": "measure", "measure": "END"}}
    deliberate_with(server, graph, {
        ("BRICK", "uiPropose"): 'return {dialogue = {{persona = "BRICK", text = "a thesis"}}}',
        ("ROBIN", "uiEvaluate"): 'return {dialogue = {{persona = "ROBIN", text = "its antithesis"}}}',
        ("ALFRED", "uiMeasure"): "return {dissonance = 0.9}",
    })
    run = start_run(server, "a dissonant question")
    assert server.request("GET", f"/runs/{run}")[1]["dissonance"] == 0.9

    def marks(d):
        return {name: (morph(d, name).get_attribute("data-dissonant"), morph(d, name).get_attribute("data-dissonance"))
                for name in ("ALFRED", "BRICK", "ROBIN", "BABS")}
    expected = {"ALFRED": ("true", "0.90"), "BRICK": ("true", "0.90"), "ROBIN": ("true", "0.90"), "BABS": ("false", None)}
    until(driver, lambda d: marks(d) == expected, "the glow on ALFRED, BRICK and ROBIN, not BABS")
    for name in ("ALFRED", "BRICK", "ROBIN"):
        assert "0.90" in morph(driver, name).find_element(By.CSS_SELECTOR, ".morph-dissonance").text
        assert "dissonant" in morph(driver, name).get_attribute("aria-label")
        assert morph(driver, name).value_of_css_property("box-shadow") != morph(driver, "BABS").value_of_css_property("box-shadow")
    assert morph(driver, "BABS").find_element(By.CSS_SELECTOR, ".morph-dissonance").text == ""
    # A deliberation whose dialogue names nobody: the number on all four, below the threshold no glow.
    deliberate_with(server, {"entry": "measure", "nodes": {"measure": {"proto": "ALFRED", "selector": "uiQuiet"}},
                             "edges": {"measure": "END"}}, {("ALFRED", "uiQuiet"): "return {dissonance = 0.3}"})
    start_run(server, "a calm question")
    until(driver, lambda d: set(marks(d).values()) == {("false", "0.30")}, "the number on all four, without a glow")


# MARK: inspector and editor


def test_a_method_edited_in_the_editor_becomes_a_new_version_and_a_broken_one_changes_nothing(ui):
    server, driver = ui
    status, before = server.request("GET", "/protos/BRICK/methods/countdown")
    assert status == 200, before
    driver.execute_script("a4ps.inspect('BRICK')")
    edit = '#panel-inspector button[aria-label="Edit countdown"]'
    until(driver, lambda d: d.find_element(By.CSS_SELECTOR, edit), "countdown in BRICK's inspector")
    screenshot(driver, "inspector.png")
    click(driver, By.CSS_SELECTOR, edit)
    source = driver.find_element(By.ID, "editor-source")
    until(driver, lambda d: source.get_attribute("value") == before["source"], "the editor to load countdown")
    assert driver.find_element(By.ID, "editor-version").get_attribute("data-version") == str(before["version"])

    edited = "-- edited in the Entropic UI\n" + before["source"]
    type_into(source, edited)
    type_into(driver.find_element(By.ID, "editor-args"), '{"n": 2}')
    driver.find_element(By.ID, "editor-try").click()
    result = driver.find_element(By.ID, "editor-result")
    until(driver, lambda d: result.get_attribute("data-outcome") == "answer" and "nothing changed" in result.text, "Try's answer")
    assert json.loads(result.text.split("\n", 1)[1]) == [2, 1, 0]
    assert server.request("GET", "/protos/BRICK/methods/countdown")[1]["version"] == before["version"], "Try changed the method"

    driver.find_element(By.ID, "editor-install").click()
    until(driver, lambda d: "Installed" in result.text, "the install")
    status, after = server.request("GET", "/protos/BRICK/methods/countdown")
    assert after["version"] > before["version"] and after["source"] == edited
    assert driver.find_element(By.ID, "editor-version").get_attribute("data-version") == str(after["version"])
    # The inspector is live: it shows the new version without a reload.
    driver.execute_script("a4ps.inspect('BRICK')")
    until(driver, lambda d: f"v{after['version']}" in d.find_element(
        By.CSS_SELECTOR, '#panel-inspector li.method[data-selector="countdown"] .version').text, "the new version in the inspector")
    click(driver, By.CSS_SELECTOR, edit)
    until(driver, lambda d: d.find_element(By.ID, "editor-source").get_attribute("value") == edited, "the editor to reload")

    # A broken method: its compile error inline, nothing changed.
    source = driver.find_element(By.ID, "editor-source")
    type_into(source, "local x = (\nreturn x")
    driver.find_element(By.ID, "editor-install").click()
    error = driver.find_element(By.ID, "editor-error")
    until(driver, lambda d: error.get_attribute("data-code") == "compileFailed" and error.text, "the compile error")
    assert "nothing changed" in error.text
    assert server.request("GET", "/protos/BRICK/methods/countdown")[1] == after

    # A change made meanwhile elsewhere: Install shows it instead of overwriting it.
    elsewhere = "-- changed elsewhere\n" + before["source"]
    status, _ = server.request("PUT", "/protos/BRICK/methods/countdown", raw=elsewhere.encode(), headers={"Content-Type": "text/plain"})
    assert status == 200
    type_into(source, "-- my edit\n" + before["source"])
    driver.find_element(By.ID, "editor-install").click()
    conflict = driver.find_element(By.ID, "editor-conflict")
    until(driver, lambda d: conflict.is_displayed() and "changed elsewhere" in conflict.text, "the conflict with what changed")
    assert server.request("GET", "/protos/BRICK/methods/countdown")[1]["source"] == elsewhere


def test_the_inspector_edits_slots_as_checked_json_renders_proto_views_and_updates_live(ui):
    server, driver = ui
    view = ('return {title = "Counts", kind = "table", columns = {"what", "n"}, '
            'rows = {{"slots", 2}, {"methods", 3}}}')
    status, body = server.request("PUT", "/protos/ROBIN/methods/view_counts", raw=view.encode(), headers={"Content-Type": "text/plain"})
    assert status == 200, body
    status, body = server.request("PUT", "/protos/ROBIN/slots/mood", {"calm": True})
    assert status == 200, body
    driver.execute_script("a4ps.inspect('ROBIN')")
    area = until(driver, lambda d: d.find_element(By.ID, "slot-ROBIN-mood"), "ROBIN's slot in the inspector")
    assert json.loads(area.get_attribute("value")) == {"calm": True}
    # Bad JSON is refused in the page, inline; nothing is sent.
    fill_in(driver, "slot-ROBIN-mood", "{calm: yes")
    click(driver, By.CSS_SELECTOR, 'button[aria-label="Save slot mood"]')
    until(driver, lambda d: "not valid JSON" in d.find_element(By.ID, "slot-ROBIN-mood-error").text, "the JSON error")
    assert server.request("GET", "/protos/ROBIN/slots/mood")[1]["value"] == {"calm": True}
    fill_in(driver, "slot-ROBIN-mood", '{"calm": false, "note": "from the UI"}')
    click(driver, By.CSS_SELECTOR, 'button[aria-label="Save slot mood"]')
    wait_for(lambda: server.request("GET", "/protos/ROBIN/slots/mood")[1]["value"] == {"calm": False, "note": "from the UI"},
             "the slot to be saved", deadline=WAIT)
    # Live: a change made elsewhere shows up without a reload.
    server.request("PUT", "/protos/ROBIN/slots/weather", "sunny")
    until(driver, lambda d: d.find_elements(By.ID, "slot-ROBIN-weather")
          and json.loads(d.find_element(By.ID, "slot-ROBIN-weather").get_attribute("value")) == "sunny", "the new slot to appear")
    # The codex is there, read-only.
    codex = driver.find_element(By.CSS_SELECTOR, '#panel-inspector [data-section="codex"] pre')
    assert codex.tag_name == "pre" and "role" in codex.text
    # ROBIN's own view, as a tab.
    click(driver, By.CSS_SELECTOR, '#panel-inspector [role="tab"][data-view="view_counts"]')
    table = until(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#panel-inspector .custom-view table"), "the view's table")
    assert [th.text for th in table.find_elements(By.TAG_NAME, "th")] == ["what", "n"]
    assert [td.text for td in table.find_elements(By.TAG_NAME, "td")] == ["slots", "2", "methods", "3"]


def test_a_personas_golden_dataset_and_the_oracles_scores_show_live_in_the_inspector(quiet_ui):
    """The rows are written into the image file as the Oracle writes them (its scoring needs a model);
    the sections must follow the Oracle's events, with no refresh."""
    server, driver, _ = quiet_ui
    deliberate_with(server, {"entry": "answer", "nodes": {"answer": {"proto": "ALFRED", "selector": "uiAnswer"}}, "edges": {"answer": "END"}},
                    {("ALFRED", "uiAnswer"): 'return {answer = "blue"}', ("ALFRED", "uiAnnounce"): "emit(args.name, args.payload)\nreturn true"})
    run = start_run(server, "What colour is the sky?")
    driver.execute_script("a4ps.inspect('BRICK')")
    golden = until(driver, lambda d: d.find_element(By.CSS_SELECTOR, '#panel-inspector [data-section="golden"]'), "the golden dataset section")
    assert golden.find_element(By.TAG_NAME, "h3").text == "Golden dataset"
    assert golden.find_element(By.CSS_SELECTOR, ".golden-counts").get_attribute("data-train") == "0"
    assert golden.find_elements(By.CSS_SELECTOR, ".golden-empty")
    oracle = driver.find_element(By.CSS_SELECTOR, '#panel-inspector [data-section="oracle"]')
    assert oracle.find_element(By.TAG_NAME, "h3").text == "Oracle scores" and oracle.find_elements(By.CSS_SELECTOR, ".oracle-empty")

    def write(sql, rows):
        with closing(sqlite3.connect(str(server.image), timeout=WAIT)) as db:
            db.executemany(sql, rows)
            db.commit()

    def announce(name, payload):
        status, body = server.request("POST", "/protos/ALFRED/send/uiAnnounce", {"name": name, "payload": payload})
        assert status == 200, body

    criteria = {"accuracy": {"score": 5, "reason": "names the colour"}, "brevity": {"score": 4, "reason": "one word"}}
    write("INSERT INTO deliberation_scores(run, overall, scores, model, at) VALUES (?, ?, ?, ?, ?)",
          [(run, 4.6, json.dumps(criteria), "scripted", time.time())])
    announce("oracle.scored", {"run": run, "overall": 4.6, "scores": criteria})
    score = until(driver, lambda d: d.find_element(By.CSS_SELECTOR, f'#panel-inspector .oracle-score[data-run="{run}"]'), "the scoring, live")
    assert float(score.get_attribute("data-overall")) == 4.6
    rows = {r.get_attribute("data-criterion"): (r.find_element(By.CSS_SELECTOR, ".criterion-score").text,
                                                r.find_element(By.CSS_SELECTOR, ".criterion-reason").text)
            for r in score.find_elements(By.CSS_SELECTOR, "tr[data-criterion]")}
    assert rows == {name: (str(c["score"]), c["reason"]) for name, c in criteria.items()}, rows
    assert "What colour is the sky?" in score.find_element(By.CSS_SELECTOR, ".task").text

    def example(persona, asked, digest, split):
        messages = [{"role": "system", "content": "You are " + persona}, {"role": "user", "content": asked}, {"role": "assistant", "content": "blue"}]
        return (persona, digest, json.dumps(messages), split, run, 4.6, time.time())
    write("INSERT INTO golden_examples(persona, digest, messages, split, run, overall, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
          [example("BRICK", "What colour is the sky?", "d1", "train"), example("BRICK", "And at night?", "d2", "holdout"),
           example("ROBIN", "Why blue?", "d3", "train")])
    announce("golden.added", {"run": run, "added": {"BRICK": 2, "ROBIN": 1}})
    until(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#panel-inspector .golden-example")) == 2, "BRICK's two examples, live")
    examples = server.request("GET", "/protos/BRICK/golden")[1]["examples"]
    shown = {e.get_attribute("data-example"): (e.get_attribute("data-split"), e.get_attribute("data-run"), e.find_element(By.CSS_SELECTOR, ".asked").text)
             for e in driver.find_elements(By.CSS_SELECTOR, "#panel-inspector .golden-example")}
    assert shown == {str(e["id"]): (e["split"], run, f"Asked: {e['asked']}") for e in examples}, shown
    counts = driver.find_element(By.CSS_SELECTOR, "#panel-inspector .golden-counts")
    assert (counts.get_attribute("data-train"), counts.get_attribute("data-holdout")) == ("1", "1")
    # Remove: the example leaves the dataset and the section.
    removed = next(e["id"] for e in examples if e["split"] == "holdout")
    click(driver, By.CSS_SELECTOR, f'#panel-inspector button[aria-label="Remove golden example {removed}"]')
    until(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, f'#panel-inspector .golden-example[data-example="{removed}"]'), "the example to go")
    assert [e["id"] for e in server.request("GET", "/protos/BRICK/golden")[1]["examples"]] == [e["id"] for e in examples if e["id"] != removed]
    until(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#panel-inspector .golden-counts").get_attribute("data-holdout") == "0", "the counts")
    assert len(server.request("GET", "/protos/ROBIN/golden")[1]["examples"]) == 1, "ROBIN's example was touched"
    assert not severe(driver), severe(driver)


def test_a_message_not_understood_is_created_in_the_editor_and_then_answered(ui):
    """Pharo's debugger "Create", one step further: the message goes again once the method is in."""
    server, driver = ui
    driver.execute_script("a4ps.send('DEBUGGER')")
    type_into(driver.find_element(By.ID, "send-selector"), "greet")
    type_into(driver.find_element(By.ID, "send-args"), '{"name": "Ada"}')
    driver.find_element(By.ID, "send-button").click()
    missing = until(driver, lambda d: d.find_element(By.ID, "send-missing").is_displayed() and d.find_element(By.ID, "send-missing"),
                    "the not-understood answer")
    assert "does not understand greet" in missing.text
    missing.find_element(By.XPATH, './/button[text()="Create"]').click()
    until(driver, lambda d: d.find_element(By.ID, "editor-selector").get_attribute("value") == "greet", "the editor for greet")
    assert driver.find_element(By.ID, "editor-version").get_attribute("data-version") == "0"
    type_into(driver.find_element(By.ID, "editor-source"), 'return "hello " .. args.name')
    driver.find_element(By.ID, "editor-install").click()
    answer = driver.find_element(By.ID, "send-answer")
    until(driver, lambda d: d.find_element(By.ID, "panel-send").is_displayed() and answer.text == '"hello Ada"', "the message answered")
    status, method = server.request("GET", "/protos/DEBUGGER/methods/greet")
    assert status == 200 and method["version"] >= 1


def test_a_message_not_understood_is_forged_by_brick_and_then_answered(quiet_ui):
    """The editor's other choice: "Forge" asks BRICK (here the scripted model) to write the method, verified and installed.
    BRICK's own doesNotUnderstand tries the forge first: with nothing scripted yet, its attempts fail and the message is not understood."""
    server, driver, model = quiet_ui
    driver.execute_script("a4ps.send('BRICK')")
    type_into(driver.find_element(By.ID, "send-selector"), "greet")
    type_into(driver.find_element(By.ID, "send-args"), '{"name": "Ada"}')
    driver.find_element(By.ID, "send-button").click()
    missing = until(driver, lambda d: d.find_element(By.ID, "send-missing").is_displayed() and d.find_element(By.ID, "send-missing"),
                    "the not-understood answer")
    assert [b.text for b in missing.find_elements(By.TAG_NAME, "button")] == ["Create", "Forge"]
    assert server.request("GET", "/protos/BRICK/methods/greet")[0] == 404
    model.script.append(("`greet`", json.dumps({"code": '-- BRICK>>greet: greets a person by name\nreturn "hello " .. args.name',
                                                "tests": 'assert(self:send("greet", {name = "Ada"}) == "hello Ada")'})))
    type_into(driver.find_element(By.ID, "forge-description"), "greet a person by the name in args.name")
    missing.find_element(By.XPATH, './/button[text()="Forge"]').click()
    until(driver, lambda d: d.find_element(By.ID, "send-answer").text == '"hello Ada"', "the forged method to answer the message")
    assert any("greet a person by the name in args.name" in prompt for prompt in model.prompts), "BRICK was not told what it should do"
    status, method = server.request("GET", "/protos/BRICK/methods/greet")
    assert status == 200 and method["source"].startswith("-- BRICK>>greet"), method
    changes = server.request("GET", "/history?proto=BRICK&subject=method:greet")[1]
    assert [c["author"] for c in changes] == ["forge"], changes


def test_the_change_log_shows_who_changed_what_and_rolls_back(ui):
    server, driver = ui
    changes = []
    for source in ("return 1", "return 2"):
        status, body = server.request("PUT", "/protos/BRICK/methods/probe", raw=source.encode(), headers={"Content-Type": "text/plain"})
        assert status == 200, body
        changes.append(body["change"]["id"])
    driver.execute_script("a4ps.history('BRICK')")
    first = f'#changes li[data-change="{changes[0]}"]'
    until(driver, lambda d: d.find_element(By.CSS_SELECTOR, f'#changes li[data-change="{changes[1]}"]'), "the changes")
    until(driver, lambda d: d.find_element(By.CSS_SELECTOR, first).get_attribute("data-author") == "architect"
          and "method:probe" in d.find_element(By.CSS_SELECTOR, first).text, "who changed what")
    click(driver, By.CSS_SELECTOR, f'{first} button[aria-label="Roll BRICK back to change {changes[0]}"]')
    wait_for(lambda: server.request("GET", "/protos/BRICK/methods/probe")[1].get("source") == "return 1",
             "BRICK>>probe to be rolled back", deadline=WAIT)
    # The log is live: the rollback itself appears in it.
    until(driver, lambda d: int(d.find_element(By.CSS_SELECTOR, "#changes li.change").get_attribute("data-change")) > changes[-1],
          "the rollback, newest first in the log")


# MARK: runs and the debugger


def test_a_runs_graph_shows_the_path_taken_its_router_edges_and_the_state_at_a_node(quiet_ui):
    server, driver, _ = quiet_ui
    deliberate_with(server, ROUTED_GRAPH, ROUTED_METHODS)
    run = start_run(server, "which colour?")
    assert server.request("GET", f"/runs/{run}")[1]["status"] == "paused"
    driver.execute_script("a4ps.runs.open(arguments[0])", run)
    graph = until(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#run-detail .run-graph"), "the run's graph")

    def node(name):
        return graph.find_element(By.CSS_SELECTOR, f'.graph-node[data-node="{name}"]')
    assert {n.get_attribute("data-node") for n in graph.find_elements(By.CSS_SELECTOR, ".graph-node")} == {"start", "work", "ask", "skip", "END"}
    visits = {name: node(name).get_attribute("data-visits") for name in ("start", "work", "ask", "skip")}
    assert visits == {"start": "1", "work": "2", "ask": "0", "skip": "0"}, visits
    assert [n.get_attribute("data-node") for n in graph.find_elements(By.CSS_SELECTOR, '.graph-node[data-current="true"]')] == ["ask"]
    assert node("start").get_attribute("data-entry") == "true"
    assert node("work").get_attribute("data-router") == "ALFRED>>uiRoute"
    assert node("skip").get_attribute("data-visited") == "false" and not node("skip").is_enabled()
    for element in graph.find_elements(By.CSS_SELECTOR, ".graph-node"):
        assert element.is_displayed() and element.size["width"] > 0
    # Edges: the router's drawn to where the run went after it (work again, then ask), the path taken highlighted.
    edges = {(e.get_attribute("data-from"), e.get_attribute("data-to")): (e.get_attribute("data-kind"), e.get_attribute("data-count"))
             for e in graph.find_elements(By.CSS_SELECTOR, "svg .graph-edge")}
    assert edges == {("start", "work"): ("direct", "1"), ("work", "work"): ("router", "1"), ("work", "ask"): ("router", "1"),
                     ("ask", "END"): ("direct", "0"), ("skip", "END"): ("direct", "0")}, edges
    assert len(graph.find_elements(By.CSS_SELECTOR, 'svg .graph-edge[data-taken="true"]')) == 3
    # A node shows the state at its last checkpoint.
    status, history = server.request("GET", f"/runs/{run}/history")
    last_work = max(c["step"] for c in history["checkpoints"] if c["node"] == "work")
    node("work").click()
    area = until(driver, lambda d: d.find_element(By.ID, f"fork-state-{last_work}"), "the state at work's last checkpoint")
    assert json.loads(area.get_attribute("value"))["count"] == 2
    assert "work" in driver.find_element(By.CSS_SELECTOR, "#run-detail .state-title").text
    screenshot(driver, "run-graph.png")
    node("start").click()
    area = until(driver, lambda d: d.find_element(By.ID, "fork-state-1"), "the state at start's checkpoint")
    assert json.loads(area.get_attribute("value"))["count"] == 0
    assert not severe(driver), severe(driver)


def test_a_paused_run_is_resumed_with_input_from_the_runs_panel(quiet_ui):
    server, driver, _ = quiet_ui
    deliberate_with(server, ROUTED_GRAPH, ROUTED_METHODS)
    run = start_run(server, "which colour?")
    record = server.request("GET", f"/runs/{run}")[1]
    assert record["status"] == "paused" and record["interrupt"] == {"question": "Which colour?"}, record
    tab(driver, "runs")
    click(driver, By.CSS_SELECTOR, f'#run-list li[data-run="{run}"][data-status="paused"] button', "the paused run in the list")
    area = until(driver, lambda d: d.find_element(By.ID, "resume-input"), "the input for the paused run")
    asked = driver.find_element(By.CSS_SELECTOR, "#run-detail .resume pre.json")
    assert json.loads(asked.text) == record["interrupt"], "the run's question is shown"
    type_into(area, "blue")
    driver.find_element(By.XPATH, '//div[@class="resume"]//button[text()="Resume"]').click()
    wait_for(lambda: server.request("GET", f"/runs/{run}")[1]["status"] == "done", "the resumed run to finish", deadline=WAIT)
    assert server.request("GET", f"/runs/{run}")[1]["answer"] == "the sky is blue", "the input reached the node's interrupt"
    until(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#run-detail p .status").text == "done", "the run shown as done")
    until(driver, lambda d: d.find_element(By.CSS_SELECTOR, '#run-detail .graph-node[data-node="END"]').get_attribute("data-current") == "true",
          "END as the run's place on its graph")
    assert driver.find_element(By.CSS_SELECTOR, '#run-detail .graph-node[data-node="ask"]').get_attribute("data-visits") == "1"
    assert not driver.find_elements(By.ID, "resume-input"), "a finished run offers no resume"
    until(driver, lambda d: d.find_element(By.CSS_SELECTOR, f'#run-list li[data-run="{run}"]').get_attribute("data-status") == "done",
          "the list to show the run as done")


def test_the_debug_panel_shows_a_failing_method_and_fixes_retries_and_closes_its_sessions(quiet_ui):
    server, driver, model = quiet_ui
    # The DEBUGGER repairs only when asked here: his codex's auto_fix off, through an approved proposal.
    status, body = server.request("POST", "/protos/ALFRED/send/proposeAmendment", {
        "draft": {"persona": "DEBUGGER", "set": {"auto_fix": "off"}}, "reasoning": "a UI test fixes by hand", "trigger": "ui test"})
    assert status == 200 and "proposal" in body["answer"], body
    status, body = server.request("POST", f"/proposals/{body['answer']['proposal']}/approve", {"note": "ui test"})
    assert status == 200, body
    fix = '-- BRICK>>boom: answers instead of raising\nreturn "fixed " .. tostring(args)'
    model.script.append(("BRICK>>boom failed", json.dumps({"code": fix, "tests": 'assert(self:send("boom", 3) == "fixed 3")'})))
    sources = {"boom": 'error("kaboom " .. tostring(args))', "bust": 'error("bust " .. tostring(args))'}
    for selector, source in sources.items():
        define(server, "BRICK", selector, source)
        assert server.request("POST", f"/protos/BRICK/send/{selector}", 3)[0] == 422
    sessions = wait_for(lambda: (lambda s: len(s) == 2 and s)(server.request("GET", "/debug")[1]["sessions"]), "two debug sessions", deadline=WAIT)
    ids = {s["selector"]: s["id"] for s in sessions}
    driver.execute_script("a4ps.debug('BRICK')")
    article = {selector: f'#debug-sessions article[data-session="{ids[selector]}"]' for selector in ids}
    boom = until(driver, lambda d: d.find_element(By.CSS_SELECTOR, article["boom"]), "boom's session")
    until(driver, lambda d: d.find_element(By.CSS_SELECTOR, article["bust"]), "bust's session")
    assert boom.get_attribute("data-status") == "open"
    assert boom.find_element(By.CSS_SELECTOR, ".debug-source pre").text == sources["boom"]
    assert "kaboom 3" in boom.find_element(By.CSS_SELECTOR, ".debug-error").text
    traceback = boom.find_element(By.CSS_SELECTOR, ".debug-traceback")
    traceback.find_element(By.TAG_NAME, "summary").click()
    until(driver, lambda d: "stack traceback" in d.find_element(By.CSS_SELECTOR, f"{article['boom']} .debug-traceback pre").text, "the traceback")
    # Retry: the message again; it still fails, and says so under the session.
    click(driver, By.CSS_SELECTOR, f'{article["boom"]} button[data-action="retry"]')
    until(driver, lambda d: d.find_element(By.CSS_SELECTOR, f"{article['boom']} pre.result").get_attribute("data-outcome") == "error"
          and "kaboom" in d.find_element(By.CSS_SELECTOR, f"{article['boom']} pre.result").text, "the retry's failure")
    # Fix: the DEBUGGER's fix, verified and installed; the session is fixed and the message answers.
    click(driver, By.CSS_SELECTOR, f'{article["boom"]} button[data-action="fix"]')
    until(driver, lambda d: d.find_element(By.CSS_SELECTOR, article["boom"]).get_attribute("data-status") == "fixed", "the fixed session")
    result = driver.find_element(By.CSS_SELECTOR, f"{article['boom']} pre.result")
    assert result.get_attribute("data-verb") == "fix" and result.get_attribute("data-outcome") == "answer"
    assert json.loads(result.text)["change"]["author"] == "debugger"
    assert not driver.find_elements(By.CSS_SELECTOR, f'{article["boom"]} button[data-action]'), "a fixed session offers no actions"
    assert any("BRICK>>boom failed" in prompt for prompt in model.prompts), "the DEBUGGER was not asked"
    assert server.request("GET", "/protos/BRICK/methods/boom")[1]["source"] == fix
    assert server.request("POST", "/protos/BRICK/send/boom", 3)[1]["answer"] == "fixed 3"
    # Close: the other session by hand, its method unchanged.
    click(driver, By.CSS_SELECTOR, f'{article["bust"]} button[data-action="close"]')
    until(driver, lambda d: d.find_element(By.CSS_SELECTOR, article["bust"]).get_attribute("data-status") == "closed", "the closed session")
    assert {s["id"]: s["status"] for s in server.request("GET", "/debug")[1]["sessions"]} == {ids["boom"]: "fixed", ids["bust"]: "closed"}
    assert server.request("GET", "/protos/BRICK/methods/bust")[1]["source"] == sources["bust"]


# MARK: governor, documents, deliberation


def test_a_proposal_approved_in_the_inbox_changes_the_codex(ui):
    server, driver = ui
    motto = "Measure twice, answer once."
    # ALFRED records a codex amendment through his own method, as his drafting run does.
    status, body = server.request("POST", "/protos/ALFRED/send/proposeAmendment", {
        "draft": {"persona": "ROBIN", "set": {"motto": motto}}, "reasoning": "a UI test", "trigger": "ui test"})
    assert status == 200, body
    if "proposal" not in body["answer"]:
        pytest.fail(f"ALFRED could not propose: {body['answer']}")
    proposal = body["answer"]["proposal"]
    assert server.request("GET", "/protos/ROBIN")[1]["codex"].get("motto") is None
    tab(driver, "inbox")
    card = f'.proposal[data-proposal="{proposal}"]'
    until(driver, lambda d: motto in d.find_element(By.CSS_SELECTOR, f"{card} pre.diff").text, "the proposal and its diff in the inbox")
    fill_in(driver, f"note-{proposal}", "approved in the UI test")
    click(driver, By.CSS_SELECTOR, f'{card} button[aria-label="Approve proposal {proposal}"]')
    until(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, f'.proposal[data-proposal="{proposal}"]'), "the proposal to leave the inbox")
    wait_for(lambda: server.request("GET", "/protos/ROBIN")[1]["codex"].get("motto") == motto, "ROBIN's codex to change", deadline=WAIT)
    status, decided = server.request("GET", f"/proposals/{proposal}")
    assert decided["status"] == "approved", decided


def test_a_document_sent_with_send_file_is_found_by_memory_search(ui, workdir):
    server, driver = ui
    needs_the_model(server)
    document = workdir / "lanterns.txt"
    document.write_text("The quokka archive of Zephyrhaven lists seventeen teal lanterns, "
                        "each lit by the night keeper Orsolya before the tide turns.\n")
    # The visually hidden input behind BABS's "Send file…" button (what the file chooser fills).
    driver.find_element(By.ID, "babs-file").send_keys(str(document))
    status = driver.find_element(By.ID, "documents-status")
    until(driver, lambda d: status.get_attribute("data-outcome") in ("ingested", "failed"), "BABS to ingest the file", timeout=300)
    assert status.get_attribute("data-outcome") == "ingested", status.text
    assert "lanterns.txt" in status.text
    driver.find_element(By.CSS_SELECTOR, '#memory-mode option[value="text"]').click()
    type_into(driver.find_element(By.ID, "memory-query"), "quokka lanterns")
    driver.find_element(By.ID, "memory-search").click()
    until(driver, lambda d: any("quokka" in hit.text for hit in d.find_elements(By.CSS_SELECTOR, "#memory-hits .hit-text")),
          "the document in the search results", timeout=120)
    # A file dropped on BABS's morph goes the same way (the drop dispatched in the page: WebDriver
    # cannot drag files from the desktop).
    driver.execute_script("""
        const data = new DataTransfer();
        data.items.add(new File(["Orsolya's ledger records nine copper albatross bells."], "ledger.txt", {type: "text/plain"}));
        const babs = document.querySelector('.morph[data-proto="BABS"]');
        babs.dispatchEvent(new DragEvent("dragover", {dataTransfer: data, bubbles: true, cancelable: true}));
        babs.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
    """)
    until(driver, lambda d: "ledger.txt" in status.text and status.get_attribute("data-outcome") == "ingested", "the dropped file",
          timeout=300)
    type_into(driver.find_element(By.ID, "memory-query"), "albatross bells")
    driver.find_element(By.ID, "memory-search").click()
    until(driver, lambda d: any("albatross" in hit.text for hit in d.find_elements(By.CSS_SELECTOR, "#memory-hits .hit-text")),
          "the dropped document in the search results", timeout=120)


def test_a_task_asked_in_the_ui_streams_the_personas_turns_and_ends_with_alfreds_answer(ui):
    server, driver = ui
    needs_the_model(server)
    type_into(driver.find_element(By.ID, "task"), "Name one colour of the sky, in one short sentence.")
    type_into(driver.find_element(By.ID, "max-turns"), "1")
    driver.find_element(By.ID, "ask").click()
    run = until(driver, lambda d: d.find_element(By.ID, "turns").get_attribute("data-run"), "the run to start")
    # Turns stream in, labelled by persona, while their morphs think.
    until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#turns .turn"), "the first streamed turn", timeout=THINKING)
    screenshot(driver, "thinking.png")
    answer = until(driver, lambda d: d.find_element(By.ID, "answer"), "ALFRED's answer", timeout=THINKING)
    assert answer.get_attribute("data-run") == run
    personas = [t.get_attribute("data-persona") for t in driver.find_elements(By.CSS_SELECTOR, "#turns .turn")]
    assert personas and set(personas) <= {"ALFRED", "BRICK", "ROBIN", "BABS"}, personas
    for turn in driver.find_elements(By.CSS_SELECTOR, "#turns .turn"):
        assert turn.find_element(By.CSS_SELECTOR, ".turn-persona").text == turn.get_attribute("data-persona")
        assert turn.find_element(By.CSS_SELECTOR, ".turn-text").text.strip()
    status, record = server.request("GET", f"/runs/{run}")
    assert answer.get_attribute("data-status") == record["status"]
    assert record["status"] == "done", record
    assert answer.find_element(By.CSS_SELECTOR, ".answer-text").text.strip()
    assert answer.find_element(By.CSS_SELECTOR, ".dissonance").text.startswith("Dissonance")
    assert answer.find_element(By.CSS_SELECTOR, ".scores h4").text == "Oracle scores"
    until(driver, lambda d: all(m.get_attribute("data-state") == "idle" for m in d.find_elements(By.CSS_SELECTOR, ".morph")),
          "the morphs to be idle again")
    # The run's checkpoints as a timeline.
    answer.find_element(By.XPATH, './/button[text()="Open in Runs"]').click()
    status, history = server.request("GET", f"/runs/{run}/history")
    until(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#run-detail .timeline .checkpoint")) == len(history["checkpoints"]),
          "the run's timeline, a button per checkpoint")
    # Fork from the first checkpoint with an edited state: a new run, the original kept.
    step = history["checkpoints"][0]["step"]
    click(driver, By.CSS_SELECTOR, f'#run-detail .timeline li[data-step="{step}"] .checkpoint')
    area = until(driver, lambda d: d.find_element(By.ID, f"fork-state-{step}"), "the checkpoint's state")
    state = json.loads(area.get_attribute("value"))
    state["task"] = "Name one colour of grass, in one short sentence."
    driver.execute_script("arguments[0].value = arguments[1]", area, json.dumps(state))
    driver.find_element(By.XPATH, '//button[text()="Fork from here"]').click()
    def fork_heading(d):
        text = d.find_element(By.CSS_SELECTOR, "#run-detail h3").text
        return text != f"Run {run}" and text.startswith("Run ") and text
    fork = until(driver, fork_heading, "the fork to open").removeprefix("Run ")
    status, forked = server.request("GET", f"/runs/{fork}")
    assert status == 200 and forked["forked_from"] in (run, f"{run}@{step}"), forked
    assert server.request("GET", f"/runs/{run}")[1]["status"] == "done", "the fork changed the original run"
    server.request("POST", f"/runs/{fork}/cancel")

"""Browser tests of the buyer's page and the operator's dashboard, in headless Chromium (selenium).

Run by scripts/browser-tests.sh, which starts the cluster and passes it in the environment: CENTER_URL, EU1_URL,
EU2_URL, US1_URL, SALE, BUYER and TOKEN (a buyer of region eu owned by eu-2), LOAD_COMMAND (the herd, or empty),
BUYERS, OUT (screenshots), CHROMIUM, CHROMEDRIVER, and for a cluster over HTTPS CA_FILE (the CA this script's own
requests trust) and SPKI_PINS (the servers' public-key hashes Chromium accepts from that throwaway CA). Exits 0
when both tests pass.
"""

import base64
import hashlib
import json
import os
import re
import shlex
import ssl
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
import uuid

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ENV = os.environ
CENTER, EU1, EU2, US1 = ENV["CENTER_URL"], ENV["EU1_URL"], ENV["EU2_URL"], ENV["US1_URL"]
SALE, BUYER, TOKEN, OUT = ENV["SALE"], ENV["BUYER"], ENV["TOKEN"], ENV["OUT"]
# The cluster's throwaway CA, and nothing else, when it runs over HTTPS.
TLS = ssl.create_default_context(cafile=ENV["CA_FILE"]) if ENV.get("CA_FILE") else None
with open(ENV["ORDERS_CREDENTIAL_FILE"]) as credential_file:
    ORDERS = {"Authorization": "Bearer " + credential_file.read().strip()}  # the units' orders credential


def api(method, url, body=None, headers=None):
    """(status, JSON body or None) of one request; problem answers are returned, not raised."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=20, context=TLS) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = ENV["CHROMIUM"]
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1100",
                 "--disable-gpu", "--no-first-run"):
        options.add_argument(flag)
    if ENV.get("SPKI_PINS"):
        # Chromium has its own trust store: it accepts the throwaway CA's certificates of exactly these keys (the
        # cluster's servers), and still refuses any other certificate it cannot verify.
        options.add_argument("--ignore-certificate-errors-spki-list=" + ENV["SPKI_PINS"])
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=ENV["CHROMEDRIVER"]), options=options)


def text(driver, element_id):
    # Read inside the page in one step: the dashboard re-renders as events arrive, and an element found first and
    # read afterwards may have been replaced in between (StaleElementReferenceException).
    return (driver.execute_script(
        "const e = document.getElementById(arguments[0]); return e ? e.textContent : '';", element_id) or "").strip()


def units_sold(driver):
    """The dashboard's unit rows, {unit: sold}, read in one step for the same reason as text()."""
    return driver.execute_script("""
        const sold = {};
        for (const row of document.querySelectorAll('tr[data-unit]')) {
            sold[row.dataset.unit] = parseInt(row.querySelector('td.sold').textContent.replace(/,/g, ''), 10);
        }
        return sold;""")


def number(driver, element_id):
    return int(text(driver, element_id).replace(",", ""))


def console_errors(driver):
    """Errors the page logged, CSP violations included (a policy that blocks the page's own scripts shows here)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"
            and "favicon.ico" not in entry["message"]]


def orders_of(unit_url, user):
    status, page = api("GET", unit_url + "/v1/orders?count=1000", headers=ORDERS)
    assert status == 200, page
    return [order for order in page["orders"] if order["user"] == user and order["sale"] == SALE]


# Records every purchase the page sends, with the button's state at that moment, and holds each one for a moment
# before it goes out, so the test can click again while it is in flight. Test-side only: the page has no hooks.
RECORD_PURCHASES = """
window.__purchases = [];
const realFetch = window.fetch.bind(window);
window.fetch = async (url, options) => {
  if (String(url).endsWith('/purchases')) {
    window.__purchases.push({ disabled: document.getElementById('buy').disabled,
                              key: options.headers['Idempotency-Key'], altcha: Boolean(options.headers.Altcha) });
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
  return realFetch(url, options);
};
"""


def test_buyer_page(driver):
    before = orders_of(EU2, BUYER)
    assert before == [], f"the buyer has orders before the test: {before}"
    driver.get(f"{EU1}/sales/{SALE}#token={TOKEN}")
    wait = WebDriverWait(driver, 60, poll_frequency=0.1)
    wait.until(lambda d: text(d, "state") == "scheduled" and re.fullmatch(r"\d+:\d\d", text(d, "countdown")))
    assert text(driver, "unit") == "eu-1"
    assert "#token" not in driver.current_url, "the token left the address bar"
    assert driver.find_element(By.ID, "buy").get_property("disabled"), "buy is disabled before the start"
    countdown = text(driver, "countdown")
    stock = number(driver, "stock")
    assert stock > 0
    driver.save_screenshot(f"{OUT}/buyer-countdown.png")
    print(f"  buyer page at eu-1: scheduled, opens in {countdown}, {stock} left here")

    # The button opens when the countdown ends; eu-1 answers 421 and the page takes the buyer to eu-2.
    WebDriverWait(driver, 60, poll_frequency=0.1).until(
        lambda d: not d.find_element(By.ID, "buy").get_property("disabled"))
    driver.find_element(By.ID, "buy").click()
    WebDriverWait(driver, 40).until(lambda d: d.current_url.startswith(EU2 + "/sales/"))
    wait.until(lambda d: text(d, "unit") == "eu-2" and text(d, "state") == "open")
    assert driver.find_element(By.ID, "token").get_property("value") == TOKEN, "the token came along to eu-2"
    print("  421 wrong-unit followed to eu-2, token carried in the fragment")

    driver.execute_script(RECORD_PURCHASES)
    button = driver.find_element(By.ID, "buy")
    WebDriverWait(driver, 10).until(lambda d: not button.get_property("disabled"))
    button.click()
    assert button.get_property("disabled"), "the button is disabled as soon as it is clicked"
    # Click again while the first purchase is in flight: by the mouse and by script.
    WebDriverWait(driver, 30, poll_frequency=0.05).until(lambda d: d.execute_script("return window.__purchases.length") == 1)
    assert button.get_property("disabled"), "the button stays disabled while the purchase is in flight"
    button.click()
    driver.execute_script("document.getElementById('buy').click()")
    WebDriverWait(driver, 40).until(lambda d: text(d, "order-id") != "")
    order_id = text(driver, "order-id")
    assert text(driver, "result-title") == "Order placed", text(driver, "result-title")
    assert text(driver, "order-status") == "reserved"
    button.click()
    driver.execute_script("document.getElementById('buy').click()")
    time.sleep(0.5)  # lets a wrongly sent click reach the recorder; the count below is the assertion
    purchases = driver.execute_script("return window.__purchases")
    assert len(purchases) == 1, f"one purchase sent, not {len(purchases)}: {purchases}"
    assert purchases[0]["disabled"] and purchases[0]["altcha"], purchases
    assert button.get_property("disabled") and button.text == "Done"

    orders = orders_of(EU2, BUYER)
    assert [order["id"] for order in orders] == [order_id], f"one order at eu-2, shown on the page: {orders}"
    assert orders_of(EU1, BUYER) == [], "no order at eu-1"
    errors = console_errors(driver)
    assert not any("Content Security Policy" in error for error in errors), errors
    driver.save_screenshot(f"{OUT}/buyer.png")
    print(f"  bought once: order {order_id} (proof of work solved in the browser, one purchase sent)")

    # The page keeps the order's secret from its 201 and cancels with it; the order is cancelled in the unit's log.
    cancel = driver.find_element(By.ID, "cancel")
    assert cancel.is_displayed(), "a reserved order can be cancelled from the page"
    cancel.click()
    WebDriverWait(driver, 20).until(lambda d: text(d, "result-title") == "Order cancelled")
    assert text(driver, "order-status") == "cancelled" and not cancel.is_displayed()
    assert [order["status"] for order in orders_of(EU2, BUYER)] == ["cancelled"], orders_of(EU2, BUYER)
    print(f"  cancelled from the page with the order's secret: {order_id} is cancelled at eu-2")


def solve(challenge):
    prefix = challenge["salt"].encode()
    for candidate in range(challenge["maxnumber"] + 1):
        if hashlib.sha256(prefix + str(candidate).encode()).hexdigest() == challenge["challenge"]:
            return candidate
    raise AssertionError("unsolvable challenge")


def fallback_crowd(count):
    """A bounded crowd without the herd: minted tokens, proof of work, 421 followed; eu buyers mostly."""
    units = {"eu": EU1, "us": US1}
    sold = 0
    for n in range(count):
        region = "us" if n % 7 == 0 else "eu"
        status, minted = api("POST", CENTER + "/v1/tokens", {"user": f"crowd-{n}", "region": region, "level": 0,
                                                           "accountCreatedAt": "2024-01-01T00:00:00Z"})
        assert status == 201, minted
        url, key = units[region], str(uuid.uuid4())
        for _ in range(8):
            _, challenge = api("GET", f"{url}/v1/sales/{SALE}/challenge")
            answer = {field: challenge[field] for field in ("algorithm", "challenge", "salt", "signature")}
            answer["number"] = solve(challenge)
            headers = {"Authorization": "Bearer " + minted["token"], "Idempotency-Key": key,
                       "Altcha": base64.b64encode(json.dumps(answer).encode()).decode()}
            status, body = api("POST", f"{url}/v1/sales/{SALE}/purchases", headers=headers)
            if status == 421:
                url = body["endpoint"]
            elif status in (503, 429):
                time.sleep(1)
            else:
                break
        sold += status == 201
        if status == 410:
            break
    return sold


def sign_in(driver, credential):
    field = driver.find_element(By.ID, "credential")
    field.clear()
    field.send_keys(credential)
    driver.find_element(By.CSS_SELECTOR, "#login button").click()


def test_dashboard(driver):
    driver.get(f"{CENTER}/dashboard#sale={SALE}")
    wait = WebDriverWait(driver, 30, poll_frequency=0.1)
    # Nothing is read without a credential: the page asks for one; a wrong one is refused and asked for again.
    wait.until(lambda d: d.find_element(By.ID, "login").is_displayed() and text(d, "connection") == "signed out")
    assert text(driver, "minted") == "-", "nothing drawn before signing in"
    sign_in(driver, "fsc_" + "0" * 64)
    wait.until(lambda d: d.find_element(By.ID, "login").is_displayed() and "did not accept" in text(d, "message"))
    # Reading the console empties it: the refused credential's 401 is the only error so far, and later checks see
    # only what came after it.
    refused = console_errors(driver)
    assert all("401" in error for error in refused), refused
    sign_in(driver, ENV["VIEWER_CREDENTIAL"])
    wait.until(lambda d: text(d, "connection") == "live" and int(text(d, "events")) >= 1)
    wait.until(lambda d: text(d, "state") == "open")
    sold_before, rights_before = number(driver, "total-sold"), number(driver, "total-rights")
    events_before = int(text(driver, "events"))
    assert text(driver, "minted") == "400"
    units = set(units_sold(driver))
    assert units == {"eu-1", "eu-2", "us-1"}, units
    driver.save_screenshot(f"{OUT}/dashboard-before.png")
    print(f"  dashboard before the crowd: sold {sold_before}, rights at units {rights_before}")

    command = ENV.get("LOAD_COMMAND", "")
    outcome = {}

    def crowd():
        outcome["how"] = "failed"
        if command:
            run = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=150)
            outcome["how"], outcome["code"], outcome["output"] = "herd", run.returncode, run.stdout + run.stderr
        else:
            outcome["how"], outcome["sold"] = "fallback loop", fallback_crowd(int(ENV.get("BUYERS", "300")) // 3)

    runner = threading.Thread(target=crowd)
    runner.start()
    # While the crowd buys, the page moves by itself (no reload): sold up, rights down.
    WebDriverWait(driver, 120, poll_frequency=0.1).until(
        lambda d: (number(d, "total-sold") > sold_before and number(d, "total-rights") < rights_before)
        or outcome.get("how") == "failed" and not runner.is_alive())
    assert runner.is_alive() or outcome.get("how") != "failed", f"the crowd failed: {outcome}"
    moving = (number(driver, "total-sold"), number(driver, "total-rights"))
    print(f"  dashboard while the crowd buys: sold {moving[0]}, rights at units {moving[1]}")
    runner.join(timeout=170)
    assert not runner.is_alive(), "the crowd did not finish"
    print(f"  crowd: {outcome.get('how')} " + (f"exit {outcome['code']}" if "code" in outcome else f"sold {outcome.get('sold')}"))
    if outcome.get("code"):
        print("  herd's output (its own checks; not this test's):\n" + outcome["output"][-2500:])

    # Once the units have reported, the page shows what the config-center's status says.
    def agrees(d):
        status, sale = api("GET", f"{CENTER}/v1/sales/{SALE}/status",
                           headers={"Authorization": "Bearer " + ENV["VIEWER_CREDENTIAL"]})
        rights = sum(unit["rightsHeld"] for unit in sale["units"])
        return number(d, "total-sold") == sale["sold"] and number(d, "total-rights") == rights and sale["sold"] > sold_before
    WebDriverWait(driver, 30, poll_frequency=0.3).until(agrees)
    assert int(text(driver, "events")) > events_before + 1, "updates came by the stream"
    sold_after, rights_after = number(driver, "total-sold"), number(driver, "total-rights")
    assert sold_after > sold_before and rights_after < rights_before
    per_unit = units_sold(driver)
    assert sum(per_unit.values()) >= sold_after, per_unit
    moved = driver.execute_script("return document.querySelectorAll('#grants tr[data-kind=rebalance]').length")
    errors = console_errors(driver)
    assert not errors, errors
    time.sleep(1.2)  # the changed-value highlight fades before the picture is taken
    driver.save_screenshot(f"{OUT}/dashboard.png")
    print(f"  dashboard after: sold {sold_after}, rights at units {rights_after}, per unit {per_unit}, "
          f"{moved} grant(s) between units, {text(driver, 'events')} live updates")


def main():
    failed = False
    driver = browser()
    try:
        for test in (test_buyer_page, test_dashboard):
            print(f"== {test.__name__}")
            try:
                test(driver)
                print("   ok")
            except Exception:  # a failed assertion or a wait that timed out: report it, run the next test
                failed = True
                traceback.print_exc()
                name = test.__name__.removeprefix("test_")
                driver.save_screenshot(f"{OUT}/{name}-failure.png")
                print(f"   FAILED (screenshot {OUT}/{name}-failure.png); page log: {driver.get_log('browser')[-10:]}")
    finally:
        driver.quit()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

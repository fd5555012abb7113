"""The web console in a real browser (Debian's chromium through chromedriver, driven by
selenium) against the running binary: sign-in, buckets, uploads through the file input,
downloads, versions, share links, identity, the catalog, and the security cases. Screenshots
of the main pages go to FLOE_CONSOLE_SCREENSHOTS (default: the test's temporary directory)."""
import json
import os
import re
import shutil
import subprocess
import time
import uuid

import pyarrow as pa
import pytest
import requests
from pyiceberg.catalog import load_catalog

from floe_harness import ROOT_PASSWORD, ROOT_USER, new_server

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="chromium and chromedriver are not installed (scripts/test.sh installs them)")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    instance = new_server(FLOE_AUDIT_LOG=str(tmp_path_factory.mktemp("audit") / "audit.jsonl"))
    yield instance
    instance.cleanup()


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return str(tmp_path_factory.mktemp("downloads"))


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    path = os.environ.get("FLOE_CONSOLE_SCREENSHOTS") or str(tmp_path_factory.mktemp("screenshots"))
    os.makedirs(path, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def browser(downloads):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900",
                 "--no-proxy-server", "--disable-background-networking"]:
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": downloads, "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def wait(driver, seconds=30):
    return WebDriverWait(driver, seconds)


def sign_in(driver, server, access_key, secret):
    driver.delete_all_cookies()
    driver.get(server.console_endpoint + "/signin")
    driver.find_element(By.ID, "accessKey").send_keys(access_key)
    driver.find_element(By.ID, "secretKey").send_keys(secret)
    driver.find_element(By.ID, "signin").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "principal")))


def session_for(driver, server) -> requests.Session:
    """A requests session carrying the browser's console cookie."""
    s = requests.Session()
    for cookie in driver.get_cookies():
        s.cookies.set(cookie["name"], cookie["value"])
    return s


def csrf_of(driver) -> str:
    return driver.find_element(By.CSS_SELECTOR, 'meta[name="csrf-token"]').get_attribute("content")


def flash(driver) -> str:
    found = driver.find_elements(By.ID, "flash")
    return found[0].text if found else ""


def shot(driver, shots, name):
    driver.save_screenshot(os.path.join(shots, f"console-{name}.png"))


def test_sign_in_sets_a_strict_http_only_cookie_and_refuses_a_wrong_secret(server, browser, shots):
    browser.get(server.console_endpoint + "/")
    assert "/signin" in browser.current_url
    shot(browser, shots, "signin")
    browser.find_element(By.ID, "accessKey").send_keys(ROOT_USER)
    browser.find_element(By.ID, "secretKey").send_keys("not-the-secret")
    browser.find_element(By.ID, "signin").click()
    wait(browser).until(lambda d: "not valid" in flash(d))
    assert not [c for c in browser.get_cookies() if c["name"] == "floe_console"]
    sign_in(browser, server, ROOT_USER, ROOT_PASSWORD)
    cookie = next(c for c in browser.get_cookies() if c["name"] == "floe_console")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert len(cookie["value"]) == 64
    # The page cannot read the session cookie.
    assert "floe_console=" not in browser.execute_script("return document.cookie")
    response = requests.get(server.console_endpoint + "/buckets", cookies={"floe_console": cookie["value"]})
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_bucket_upload_download_versions_restore_and_share(server, browser, downloads, shots, tmp_path):
    sign_in(browser, server, ROOT_USER, ROOT_PASSWORD)
    bucket = "console-" + uuid.uuid4().hex[:8]
    browser.get(server.console_endpoint + "/buckets")
    browser.find_element(By.ID, "bucket-name").send_keys(bucket)
    browser.find_element(By.ID, "bucket-versioning").click()
    browser.find_element(By.ID, "create-bucket").click()
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "bucket-title"), bucket))
    assert server.boto3().get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"

    # Upload through the file input: the script sends it in parts with a progress bar.
    first = tmp_path / "report.csv"
    lines = [f"{i},customer-{i % 977:04d},{(i * 37) % 10000 / 100:.2f},2026-11-{1 + i % 30:02d}T{i % 24:02d}:{i % 60:02d}:00Z"
             for i in range(1, 150_001)]
    first.write_bytes(("id,name,amount,ordered_at\n1,first,0.00,2026-11-01T00:00:00Z\n" + "\n".join(lines) + "\n").encode())
    browser.find_element(By.ID, "upload-files").send_keys(str(first))
    browser.find_element(By.ID, "upload").click()
    link = wait(browser, 60).until(EC.presence_of_element_located((By.CSS_SELECTOR, 'a.object-link[data-key="report.csv"]')))
    shot(browser, shots, "objects")
    assert server.boto3().get_object(Bucket=bucket, Key="report.csv")["Body"].read() == first.read_bytes()

    # Download by clicking, and compare the bytes the browser saved.
    link.click()
    wait(browser).until(EC.presence_of_element_located((By.ID, "object-key")))
    assert "id,name" in browser.find_element(By.ID, "preview-text").text
    shot(browser, shots, "object")
    browser.find_element(By.ID, "download").click()
    saved = os.path.join(downloads, "report.csv")
    deadline = time.time() + 60
    while time.time() < deadline and not (os.path.exists(saved) and os.path.getsize(saved) == first.stat().st_size):
        time.sleep(0.2)
    with open(saved, "rb") as f:
        assert f.read() == first.read_bytes()

    # A second version, then restore the first from the versions table.
    second = tmp_path / "second" / "report.csv"
    second.parent.mkdir()
    second.write_bytes(b"id,name\n2,second\n")
    browser.get(server.console_endpoint + f"/buckets/{bucket}")
    browser.find_element(By.ID, "upload-files").send_keys(str(second))
    browser.find_element(By.ID, "upload").click()
    wait(browser, 60).until(lambda d: server.boto3().get_object(Bucket=bucket, Key="report.csv")["Body"].read() == second.read_bytes())
    browser.get(server.console_endpoint + f"/buckets/{bucket}/object?key=report.csv")
    rows = browser.find_elements(By.CSS_SELECTOR, "#versions tr.version")
    assert len(rows) == 2
    older = rows[1]
    older.find_element(By.CSS_SELECTOR, "button.restore").click()
    wait(browser).until(lambda d: "restored" in flash(d))
    assert server.boto3().get_object(Bucket=bucket, Key="report.csv")["Body"].read() == first.read_bytes()
    assert len(browser.find_elements(By.CSS_SELECTOR, "#versions tr.version")) == 3
    shot(browser, shots, "versions")

    # A share link, fetched with curl.
    browser.find_element(By.ID, "share").click()
    url = wait(browser).until(EC.presence_of_element_located((By.ID, "share-url"))).get_attribute("value")
    assert url.startswith(server.endpoint + f"/{bucket}/report.csv?") and "X-Amz-Signature=" in url
    fetched = subprocess.run(["curl", "-sf", url], capture_output=True, timeout=60)
    assert fetched.returncode == 0 and fetched.stdout == first.read_bytes()

    # Permanent deletion of a version (the confirmation dialog accepted).
    browser.get(server.console_endpoint + f"/buckets/{bucket}/object?key=report.csv")
    victim = browser.find_elements(By.CSS_SELECTOR, "#versions tr.version")[-1]
    version_id = victim.get_attribute("data-version")
    victim.find_element(By.CSS_SELECTOR, "button.delete-version").click()
    browser.switch_to.alert.accept()
    wait(browser).until(lambda d: "deleted permanently" in flash(d))
    ids = [v["VersionId"] for v in server.boto3().list_object_versions(Bucket=bucket, Prefix="report.csv")["Versions"]]
    assert version_id not in ids and len(ids) == 2


def test_upload_without_script_streams_a_multipart_form(server, browser):
    """The form works with JavaScript off: a file larger than one part goes up as a multipart upload."""
    sign_in(browser, server, ROOT_USER, ROOT_PASSWORD)
    bucket = "nojs-" + uuid.uuid4().hex[:8]
    server.boto3().create_bucket(Bucket=bucket)
    browser.get(server.console_endpoint + f"/buckets/{bucket}")
    s, token = session_for(browser, server), csrf_of(browser)
    body = os.urandom(9 << 20)
    r = s.post(server.console_endpoint + f"/buckets/{bucket}/upload",
               files=[("_csrf", (None, token)), ("prefix", (None, "in/")), ("files", ("big.bin", body, "application/octet-stream")),
                      ("files", ("small.txt", b"small", "text/plain"))])
    assert r.status_code == 200 and "Uploaded big.bin, small.txt" in r.text
    head = server.boto3().head_object(Bucket=bucket, Key="in/big.bin")
    assert head["ContentLength"] == len(body) and head["ETag"].endswith('-2"')
    assert server.boto3().get_object(Bucket=bucket, Key="in/big.bin")["Body"].read() == body
    # Without the token first, nothing is stored.
    r = s.post(server.console_endpoint + f"/buckets/{bucket}/upload", files=[("files", ("x.txt", b"x", "text/plain"))])
    assert "security token" in r.text
    assert "Contents" not in server.boto3().list_objects_v2(Bucket=bucket, Prefix="x.txt")


def test_state_changes_need_the_csrf_token(server, browser):
    sign_in(browser, server, ROOT_USER, ROOT_PASSWORD)
    s = session_for(browser, server)
    name = "csrf-" + uuid.uuid4().hex[:8]
    for data in [{"name": name}, {"name": name, "_csrf": "0" * 64}]:
        r = s.post(server.console_endpoint + "/buckets", data=data, allow_redirects=False)
        assert r.status_code == 403
    r = s.post(server.console_endpoint + f"/buckets/{name}/uploads/start?key=a", allow_redirects=False)
    assert r.status_code == 403
    # Without the cookie, a state change is refused too (and a GET goes to the sign-in page).
    r = requests.post(server.console_endpoint + "/buckets", data={"name": name}, allow_redirects=False)
    assert r.status_code == 403
    assert requests.get(server.console_endpoint + "/buckets", allow_redirects=False).headers["Location"].startswith("/signin")
    assert name not in [b["Name"] for b in server.boto3().list_buckets()["Buckets"]]
    # A sign-in without the sign-in form's own token is refused.
    r = requests.post(server.console_endpoint + "/signin", data={"accessKey": ROOT_USER, "secretKey": ROOT_PASSWORD}, allow_redirects=False)
    assert r.status_code == 403 and "floe_console=" not in r.headers.get("Set-Cookie", "").replace("floe_console_signin", "")


def test_hostile_names_are_rendered_inert(server, browser, shots):
    sign_in(browser, server, ROOT_USER, ROOT_PASSWORD)
    bucket = "xss-" + uuid.uuid4().hex[:8]
    s3 = server.boto3()
    s3.create_bucket(Bucket=bucket)
    hostile = "<script>alert(1)</script>.txt"
    s3.put_object(Bucket=bucket, Key=hostile, Body=b"<img src=x onerror=alert(2)>", ContentType="text/html")
    s3.put_object(Bucket=bucket, Key='q"uote\'s/ünï<b>.txt', Body=b"x")
    # A prepended mark (U+0600) and a combining mark (U+0301) next to markup characters.
    s3.put_object(Bucket=bucket, Key="mark\u0600<b>bold</b\u0600>\"\u0301 onmouseover=alert(3) x=.txt", Body=b"x")
    browser.get(server.console_endpoint + f"/buckets/{bucket}")
    # The key holds a "/": with the delimiter it shows as a folder, then the rest inside it.
    folders = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "a.folder-link")]
    assert folders == ["<script>alert(1)</", "mark\u0600<b>bold</", 'q"uote\'s/']
    assert browser.execute_script("return document.querySelectorAll('main b, main [onmouseover]').length") == 0
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
    assert browser.execute_script("return document.querySelectorAll('script:not([src])').length") == 0
    browser.find_element(By.CSS_SELECTOR, "a.folder-link").click()
    assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, "a.object-link")] == ["script>.txt"]
    assert "<script>alert(1)</" in browser.find_element(By.CSS_SELECTOR, "nav.crumbs").text
    browser.find_element(By.CSS_SELECTOR, "a.object-link").click()
    wait(browser).until(EC.presence_of_element_located((By.ID, "object-key")))
    assert browser.find_element(By.ID, "object-key").text == hostile
    assert "<img src=x" in browser.find_element(By.ID, "preview-text").text
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
    # A download is an attachment of a neutral type, never a page of the console.
    shot(browser, shots, "hostile-name")
    r = session_for(browser, server).get(server.console_endpoint + f"/buckets/{bucket}/download", params={"key": hostile})
    assert r.headers["Content-Type"] == "application/octet-stream" and r.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in r.headers["Content-Security-Policy"]


def test_a_read_only_user_sees_no_writes_and_is_refused_them(server, browser, shots):
    sign_in(browser, server, ROOT_USER, ROOT_PASSWORD)
    bucket = "ro-" + uuid.uuid4().hex[:8]
    server.boto3().create_bucket(Bucket=bucket)
    server.boto3().put_object(Bucket=bucket, Key="keep.txt", Body=b"keep")
    user = "reader" + uuid.uuid4().hex[:6]
    browser.get(server.console_endpoint + "/identity")
    shot(browser, shots, "identity")
    browser.find_element(By.ID, "user-name").send_keys(user)
    browser.find_element(By.ID, "user-policy-readonly").click()
    browser.find_element(By.ID, "user-create-key").click()
    browser.find_element(By.ID, "create-user").click()
    access_key = wait(browser).until(EC.presence_of_element_located((By.ID, "new-access-key"))).text.strip()
    secret = browser.find_element(By.ID, "new-secret-key").text.strip()
    assert access_key and secret
    # The secret is shown once: the identity page does not show it again.
    browser.get(server.console_endpoint + "/identity")
    assert secret not in browser.page_source and user in browser.page_source

    sign_in(browser, server, access_key, secret)
    assert browser.find_element(By.ID, "principal").text == user
    assert not browser.find_elements(By.ID, "nav-identity") and not browser.find_elements(By.ID, "nav-health")
    assert not browser.find_elements(By.ID, "create-bucket-form")
    browser.get(server.console_endpoint + f"/buckets/{bucket}")
    assert browser.find_elements(By.CSS_SELECTOR, 'a.object-link[data-key="keep.txt"]')
    assert not browser.find_elements(By.ID, "upload-form")
    browser.get(server.console_endpoint + f"/buckets/{bucket}/object?key=keep.txt")
    assert not browser.find_elements(By.ID, "delete-object")
    shot(browser, shots, "read-only")
    # Forged requests with a valid token are refused by the API itself.
    s, token = session_for(browser, server), csrf_of(browser)
    r = s.post(server.console_endpoint + f"/buckets/{bucket}/object/delete", data={"_csrf": token, "key": "keep.txt", "back": "/buckets"})
    assert "AccessDenied" in r.text
    r = s.post(server.console_endpoint + "/buckets", data={"_csrf": token, "name": "ro-made-" + uuid.uuid4().hex[:6], "back": "/buckets"})
    assert "AccessDenied" in r.text
    r = s.get(server.console_endpoint + "/identity")
    assert r.status_code in (400, 403) and "may not" in r.text
    assert server.boto3().get_object(Bucket=bucket, Key="keep.txt")["Body"].read() == b"keep"


def test_a_table_written_by_pyiceberg_shows_its_schema_and_snapshots(server, browser, shots):
    sign_in(browser, server, ROOT_USER, ROOT_PASSWORD)
    catalog = load_catalog("floe", **{
        "type": "rest", "uri": server.catalog_endpoint, "credential": f"{ROOT_USER}:{ROOT_PASSWORD}", "warehouse": "lakehouse",
        "s3.endpoint": server.endpoint, "s3.access-key-id": ROOT_USER, "s3.secret-access-key": ROOT_PASSWORD,
        "s3.region": "us-east-1", "s3.path-style-access": "true"})
    data = pa.table({"order_id": pa.array([1, 2, 3], pa.int64()), "customer": pa.array(["a", "b", "c"]),
                     "amount": pa.array([1.5, 2.5, 3.5])})
    table = catalog.create_table("bronze.console_orders", schema=data.schema)
    table.append(data)
    table.append(data)
    browser.get(server.console_endpoint + "/catalog")
    browser.find_element(By.XPATH, "//a[contains(@class,'ns-link') and normalize-space()='bronze']").click()
    browser.find_element(By.XPATH, "//a[contains(@class,'table-link') and normalize-space()='console_orders']").click()
    assert "console_orders" in wait(browser).until(EC.presence_of_element_located((By.ID, "table-name"))).text
    fields = browser.find_element(By.ID, "schema-fields").text
    for name in ["order_id", "customer", "amount"]:
        assert name in fields
    snapshots = browser.find_elements(By.CSS_SELECTOR, "#snapshots tbody tr")
    assert len(snapshots) == 2
    ids = {str(s.snapshot_id) for s in table.snapshots()}
    assert all(any(i in row.text for i in ids) for row in snapshots)
    shot(browser, shots, "table")
    # Files, partitions and rows, read by Floe's own readers as the signed-in principal.
    browser.find_element(By.ID, "show-data").click()
    preview = wait(browser).until(EC.presence_of_element_located((By.ID, "row-preview")))
    headers = [th.text for th in preview.find_elements(By.CSS_SELECTOR, "thead th")]
    assert headers == ["order_id", "customer", "amount"]
    cells = sorted(tuple(td.text for td in tr.find_elements(By.TAG_NAME, "td")) for tr in preview.find_elements(By.CSS_SELECTOR, "tbody tr"))
    assert cells == sorted([("1", "a", "1.5"), ("2", "b", "2.5"), ("3", "c", "3.5")] * 2)
    files = browser.find_elements(By.CSS_SELECTOR, "#data-files tbody tr")
    assert len(files) == 2 and {f.text.split()[0] for f in files} == {t.file.file_path for t in table.scan().plan_files()}
    assert "(unpartitioned)" in browser.find_element(By.ID, "partitions").text
    shot(browser, shots, "table-data")


def test_health_and_small_screens(server, browser, shots):
    sign_in(browser, server, ROOT_USER, ROOT_PASSWORD)
    browser.get(server.console_endpoint + "/health")
    assert browser.find_element(By.ID, "tile-requests")
    assert browser.find_elements(By.ID, "operations-chart")
    # Requests/s is drawn once two samples (10 s apart) exist.
    assert browser.find_elements(By.ID, "rate-chart") or browser.find_elements(By.ID, "rate-pending")
    # Administrative changes made through the console reach the audit log, and the page shows them.
    audit = browser.find_element(By.ID, "audit-events").text
    assert "admin:CreateUser" in audit and "floetestroot" in audit
    shot(browser, shots, "health")
    # Every visible form control has a label, and the layout fits a phone's width.
    unlabeled = browser.execute_script("""
        return Array.from(document.querySelectorAll('input:not([type=hidden]),select,textarea'))
          .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.id || e.name);""")
    assert unlabeled == []
    browser.set_window_size(390, 844)
    try:
        for page in ["/buckets", "/health", "/identity"]:
            browser.get(server.console_endpoint + page)
            overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{page} is {overflow}px wider than a phone"
        browser.get(server.console_endpoint + "/buckets")
        shot(browser, shots, "phone")
    finally:
        browser.set_window_size(1280, 900)
    # Page weight: a page with its stylesheet and script stays small.
    s = session_for(browser, server)
    weight = sum(len(s.get(server.console_endpoint + p).content) for p in ["/buckets", "/static/console.css", "/static/console.js"])
    assert weight < 40_000


def test_sign_out_ends_the_session(server, browser):
    sign_in(browser, server, ROOT_USER, ROOT_PASSWORD)
    cookie = next(c for c in browser.get_cookies() if c["name"] == "floe_console")["value"]
    browser.find_element(By.ID, "signout").click()
    wait(browser).until(EC.presence_of_element_located((By.ID, "signin-form")))
    r = requests.get(server.console_endpoint + "/buckets", cookies={"floe_console": cookie}, allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"].startswith("/signin")


def test_a_proxy_terminating_tls_gets_secure_cookies(server):
    def sign_in_with(headers):
        s = requests.Session()
        token = _signin_form(server.console_endpoint, s)
        r = s.post(server.console_endpoint + "/signin", data={"_csrf": token, "accessKey": ROOT_USER, "secretKey": ROOT_PASSWORD},
                   headers=headers, allow_redirects=False)
        assert r.status_code == 303
        return r.headers["Set-Cookie"]
    plain = sign_in_with({})
    assert plain.startswith("floe_console=") and "Secure" not in plain
    proxied = sign_in_with({"X-Forwarded-Proto": "https"})
    assert proxied.startswith("__Host-floe_console=") and "; Secure" in proxied


def test_a_session_ends_with_its_key(server, browser):
    """Disabling the user, or deleting its key, signs its console session out on the next request."""
    from security_helpers import admin
    for end in ["disable", "delete-key"]:
        name = "ender" + uuid.uuid4().hex[:6]
        admin(server, "PUT", f"users/{name}", {"policies": ["readonly"]})
        key = admin(server, "POST", f"users/{name}/keys").json()
        sign_in(browser, server, key["accessKey"], key["secretKey"])
        s = session_for(browser, server)
        assert s.get(server.console_endpoint + "/buckets", allow_redirects=False).status_code == 200
        if end == "disable":
            admin(server, "PUT", f"users/{name}", {"enabled": False})
        else:
            admin(server, "DELETE", f"keys/{key['accessKey']}")
        r = s.get(server.console_endpoint + "/buckets", allow_redirects=False)
        assert r.status_code == 303 and r.headers["Location"].startswith("/signin"), end
        if end == "disable":
            admin(server, "PUT", f"users/{name}", {"enabled": True})
            # Enabled again, the old session does not come back: it was removed.
            assert s.get(server.console_endpoint + "/buckets", allow_redirects=False).status_code == 303


def _signin_form(base, session):
    page = session.get(base + "/signin")
    return re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)


def test_sign_in_hardening(server):
    base = server.console_endpoint
    # Only a form this server rendered signs in.
    r = requests.post(base + "/signin", data={"_csrf": "9999999999." + "a" * 32 + "." + "b" * 64, "accessKey": ROOT_USER, "secretKey": ROOT_PASSWORD},
                      allow_redirects=False)
    assert r.status_code == 403
    # A valid form posted by a page of another origin — another site, or this host's S3 port — is refused.
    token = _signin_form(base, requests.Session())
    for headers in [{"Origin": server.endpoint}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}]:
        r = requests.post(base + "/signin", data={"_csrf": token, "accessKey": ROOT_USER, "secretKey": ROOT_PASSWORD}, headers=headers,
                          allow_redirects=False)
        assert r.status_code == 403, headers
    r = requests.post(base + "/signin", data={"_csrf": token, "accessKey": ROOT_USER, "secretKey": ROOT_PASSWORD},
                      headers={"Origin": base, "Sec-Fetch-Site": "same-origin"}, allow_redirects=False)
    assert r.status_code == 303
    # `next` survives the sign-in form.
    s = requests.Session()
    token = _signin_form(base, s)
    r = s.post(base + "/signin?next=%2Fhealth", data={"_csrf": token, "accessKey": ROOT_USER, "secretKey": ROOT_PASSWORD, "next": "/health"},
               allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"] == "/health"
    good = s.cookies.get("floe_console")
    # Two cookies of the session's name (one planted for a narrower path): no session is picked.
    r = requests.get(base + "/buckets", headers={"Cookie": f"floe_console={good}; floe_console={good}"}, allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"].startswith("/signin")
    # Repeated failures for one key are slowed down, and the right secret waits too.
    name = "throttled" + uuid.uuid4().hex[:6]
    from security_helpers import admin
    admin(server, "PUT", f"users/{name}", {"policies": ["readonly"]})
    key = admin(server, "POST", f"users/{name}/keys").json()
    attacker = requests.Session()
    statuses = []
    for _ in range(8):
        token = _signin_form(base, attacker)
        statuses.append(attacker.post(base + "/signin", data={"_csrf": token, "accessKey": key["accessKey"], "secretKey": "guess"},
                                      allow_redirects=False).status_code)
    assert statuses[:5] == [401] * 5 and 429 in statuses[5:]
    token = _signin_form(base, attacker)
    r = attacker.post(base + "/signin", data={"_csrf": token, "accessKey": key["accessKey"], "secretKey": key["secretKey"]}, allow_redirects=False)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    # Other keys are not affected.
    token = _signin_form(base, attacker)
    r = attacker.post(base + "/signin", data={"_csrf": token, "accessKey": ROOT_USER, "secretKey": ROOT_PASSWORD}, allow_redirects=False)
    assert r.status_code == 303


def test_an_upload_step_with_a_form_body_is_refused_without_harm(server, browser):
    """Review finding: a form-encoded body on an upload step was read twice and stopped the debug server."""
    sign_in(browser, server, ROOT_USER, ROOT_PASSWORD)
    s, token = session_for(browser, server), csrf_of(browser)
    r = s.post(server.console_endpoint + "/buckets/lakehouse/uploads/complete?key=k&uploadId=x", data={"_csrf": token})
    assert r.status_code == 403
    r = s.post(server.console_endpoint + "/buckets/lakehouse/uploads/complete?key=k&uploadId=x", data={"_csrf": token},
               headers={"X-CSRF-Token": token})
    assert r.status_code in (400, 404) and "error" in r.json()
    assert requests.get(server.endpoint + "/floe/health/ready").status_code == 200


def test_a_parquet_preview_is_bounded_however_wide_the_file(server, browser, tmp_path):
    import pyarrow.parquet as pq
    sign_in(browser, server, ROOT_USER, ROOT_PASSWORD)
    bucket = "wide-" + uuid.uuid4().hex[:8]
    s3 = server.boto3()
    s3.create_bucket(Bucket=bucket)
    path = tmp_path / "wide.parquet"
    pq.write_table(pa.table({f"c{i}": pa.array([i]) for i in range(3000)}), path)
    s3.upload_file(str(path), bucket, "wide.parquet")
    pq.write_table(pa.table({"id": pa.array([1, 2], pa.int64()), "name": pa.array(["a", "b"])}), tmp_path / "small.parquet")
    s3.upload_file(str(tmp_path / "small.parquet"), bucket, "small.parquet")
    browser.get(server.console_endpoint + f"/buckets/{bucket}/object?key=small.parquet")
    rows = [tr.text for tr in browser.find_elements(By.CSS_SELECTOR, "#parquet-schema tbody tr")]
    assert rows[0].startswith("(rows) 2") and rows[1].startswith("id int64") and rows[2].startswith("name byteArray")
    browser.get(server.console_endpoint + f"/buckets/{bucket}/object?key=wide.parquet")
    rows = browser.find_elements(By.CSS_SELECTOR, "#parquet-schema tbody tr")
    assert len(rows) <= 503 and "3,000 columns in all" in rows[-1].text


def test_downloads_through_the_console_stay_bounded_when_the_browser_reads_slowly(server, browser):
    """The console relays a download from the S3 API: a browser that stops reading must not make
    it hold the rest of the object in memory."""
    import socket
    sign_in(browser, server, ROOT_USER, ROOT_PASSWORD)
    cookie = next(c for c in browser.get_cookies() if c["name"] == "floe_console")["value"]
    s3 = server.boto3()
    bucket = "slow-" + uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="big.bin", Body=os.urandom(1 << 20) * 48)
    pid = server.process.pid

    def rss_kib(field="VmRSS"):
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))
    idle = rss_kib()
    sockets = []
    try:
        for _ in range(4):
            sock = socket.create_connection(("127.0.0.1", server.console_port), timeout=10)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            sock.sendall(f"GET /buckets/{bucket}/download?key=big.bin HTTP/1.1\r\nHost: 127.0.0.1:{server.console_port}\r\n"
                         f"Cookie: floe_console={cookie}\r\n\r\n".encode())
            sockets.append(sock)
        time.sleep(4)  # nobody reads
        growth_mib = (rss_kib() - idle) / 1024
    finally:
        for sock in sockets:
            sock.close()
    # Four relayed 48 MiB objects; unbounded relaying would hold most of the 192 MiB.
    assert growth_mib < 48, f"the console held {growth_mib:.0f} MiB for four stalled downloads"


def test_source_ip_conditions_apply_to_what_the_console_does(server, tmp_path):
    """Review finding: the console called the APIs from 127.0.0.1, so a Deny on the browser's
    address did not apply. The console now states the browser's address, MACed, to the APIs."""
    import http.client
    from security_helpers import admin
    bucket = "srcip-" + uuid.uuid4().hex[:8]
    server.boto3().create_bucket(Bucket=bucket)
    name = "fenced" + uuid.uuid4().hex[:6]
    admin(server, "PUT", f"policies/{name}", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]},
        {"Effect": "Deny", "Action": ["s3:PutObject"], "Resource": ["*"], "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.2/32"}}}]})
    admin(server, "PUT", f"users/{name}", {"policies": [name]})
    key = admin(server, "POST", f"users/{name}/keys").json()

    def request(source, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", server.console_port, timeout=30, source_address=(source, 0))
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response, data.decode("utf-8", "replace")

    def upload_from(source):
        _, page = request(source, "GET", "/signin")
        token = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
        form = f"_csrf={token}&accessKey={key['accessKey']}&secretKey={requests.utils.quote(key['secretKey'], safe='')}"
        response, _ = request(source, "POST", "/signin", form, {"Content-Type": "application/x-www-form-urlencoded"})
        cookie = response.getheader("Set-Cookie").split(";")[0]
        _, page = request(source, "GET", f"/buckets/{bucket}", headers={"Cookie": cookie})
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        boundary = "b0undary"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"from-{source}.txt\"\r\n"
                f"Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n")
        response, _ = request(source, "POST", f"/buckets/{bucket}/upload", body,
                              {"Content-Type": f"multipart/form-data; boundary={boundary}", "Cookie": cookie})
        assert response.getheader("Location").startswith(f"/buckets/{bucket}")
        _, page = request(source, "GET", f"/buckets/{bucket}", headers={"Cookie": cookie})
        return page

    assert "Uploaded from-127.0.0.3.txt" in upload_from("127.0.0.3")
    assert "AccessDenied" in upload_from("127.0.0.2")
    keys = [o["Key"] for o in server.boto3().list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == ["from-127.0.0.3.txt"]
    # The audit log names the browser's address, not the console's loopback one.
    with open(server.env["FLOE_AUDIT_LOG"]) as f:
        denied = [json.loads(line) for line in f if name in line and '"denied"' in line]
    assert denied and all(e["source_ip"] == "127.0.0.2" for e in denied)

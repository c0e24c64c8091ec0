#!/usr/bin/env python3
"""Use the incident page in headless Chromium the way a person would.

    browse-incident-page.py BASE_URL TOKEN INCIDENT_ID [NOTE]

Opens BASE_URL/incidents, types the token into the sign-in form and clicks
Sign in, clicks the incident in the list, reads what the page shows (title,
likely cause, cited section text, diagnostic output, approvals waiting),
types a note and clicks "Wrong cause", and waits for the page to confirm.
Typing and clicking go through Chromium's input events (DevTools protocol),
not through the page's own functions. Prints what it saw as one JSON object;
exits 1 with the reason when a step does not happen. Needs Debian's
`chromium` (or CHROMIUM=path) and websocket-client (scripts/bootstrap.sh).
"""
import json, os, shutil, subprocess, sys, tempfile, time

import websocket


class PageError(Exception):
    pass


class Browser:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="aiops-chromium-")
        binary = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/lib/chromium/chromium"
        self.proc = subprocess.Popen([binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                      "--disable-extensions", f"--user-data-dir={self.profile}",
                                      "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + 30
        while not (os.path.exists(port_file) and len(open(port_file).read().split()) >= 2):
            if time.time() > deadline or self.proc.poll() is not None:
                raise SystemExit("chromium did not start")
            time.sleep(0.1)
        port, path = open(port_file).read().split()[:2]
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=30, suppress_origin=True)
        self.next_id = 0
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]

    def call(self, method, session=None, **params):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise SystemExit(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def page(self, method, **params):
        return self.call(method, session=self.session, **params)

    def js(self, expression):
        r = self.page("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise PageError(f"page script failed: {r['exceptionDetails'].get('exception', {}).get('description')}")
        return r["result"].get("value")

    def until(self, expression, what, seconds=60):
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                value = self.js(expression)
            except PageError:
                value = None  # the page is not there yet (still loading)
            if value:
                return value
            time.sleep(0.1)
        status = self.js("document.getElementById('status') ? document.getElementById('status').textContent : ''")
        raise SystemExit(f"did not happen: {what} (page status: {status!r})")

    def click(self, selector):
        box = self.until(f"""(() => {{ const e = document.querySelector({json.dumps(selector)});
            if (!e || e.offsetParent === null) return null; e.scrollIntoView({{block: 'center'}});
            // The first line box: a link that wraps has its bounding box's centre between its lines.
            const r = e.getClientRects()[0]; return {{x: r.x + r.width / 2, y: r.y + r.height / 2}}; }})()""",
                         f"{selector} is visible")
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.page("Input.dispatchMouseEvent", type=kind, x=box["x"], y=box["y"], button="left", clickCount=1)

    def type_into(self, selector, text):
        self.click(selector)
        self.page("Input.insertText", text=text)

    def close(self):
        try:
            self.ws.close()
        finally:
            self.proc.kill()
            self.proc.wait()
            shutil.rmtree(self.profile, ignore_errors=True)


def main():
    base, token, incident = sys.argv[1:4]
    note = sys.argv[4] if len(sys.argv) > 4 else "the pool was fine; it was the deploy"
    b = Browser()
    try:
        b.page("Page.enable")
        b.page("Page.navigate", url=base + "/incidents")
        b.until("!document.getElementById('login').hidden", "the sign-in form shows")
        b.type_into("#token", token)
        b.click("#login button")
        link = f"a.open-incident[href='#{incident}']"
        b.until(f"!!document.querySelector({json.dumps(link)})", "the incident is listed")
        listed = b.js("Array.from(document.querySelectorAll('#list tbody tr')).map(r => r.textContent)")
        b.click(link)
        b.until("location.hash.length > 1", "the click on the incident opens it")
        b.until("!document.getElementById('incident').hidden && !!document.querySelector('.triage')", "the incident opens with its triage")
        seen = b.js("""(() => ({
            title: document.getElementById('title').textContent,
            cause: (document.querySelector('.triage .cause') || {}).textContent,
            sections: Array.from(document.querySelectorAll('#triages blockquote.section')).map(e => e.textContent),
            outputs: Array.from(document.querySelectorAll('#diagnostics pre.output')).map(e => e.textContent),
            diagnostics: Array.from(document.querySelectorAll('#diagnostics .diagnostic p')).map(e => e.textContent),
            waiting: Array.from(document.querySelectorAll('#waiting li')).map(e => e.textContent),
            timeline: Array.from(document.querySelectorAll('#timeline li')).map(e => e.textContent),
            elements_from_text: document.querySelectorAll('#incident img, #incident script').length
        }))()""")
        b.type_into("#note", note)
        b.click("button[data-verdict='wrong_cause']")
        b.until("document.getElementById('status').textContent.includes('recorded by')", "the page confirms the feedback")
        seen["confirmation"] = b.js("document.getElementById('status').textContent")
        b.until("document.querySelectorAll('#said li').length > 0", "the feedback is listed on the incident")
        seen["said"] = b.js("Array.from(document.querySelectorAll('#said li')).map(e => e.textContent)")
        seen["listed"] = listed
        print(json.dumps(seen))
    finally:
        b.close()


if __name__ == "__main__":
    try:
        main()
    except PageError as e:
        raise SystemExit(str(e))

/// The approvals web page: static HTML and script, no data in them. The
/// script asks for the API token (kept in the tab's sessionStorage only), lists
/// pending approvals from `GET /api/v1/approvals` and posts decisions with a
/// reason. Untrusted text is only ever set as `textContent`, and the page is
/// served with a Content-Security-Policy that allows no inline script.
enum ApprovalsPage {
    /// What both pages are made of: the head, a header linking to the other page, the sign-in form, the status
    /// line, then `body`, the shared script and the page's own.
    static func frame(title: String, heading: String, link: (href: String, text: String), body: String, script: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>aiops — \(title)</title>
        <link rel="stylesheet" href="/approvals.css">
        </head>
        <body>
        <header><h1>\(heading)</h1><nav><a href="\(link.href)">\(link.text)</a></nav></header>
        <form id="login" hidden>
          <label>API token <input id="token" type="password" autocomplete="off" required></label>
          <button type="submit">Sign in</button>
        </form>
        <p id="status" role="status"></p>
        \(body)
        <script src="/common.js"></script>
        <script src="\(script)"></script>
        </body>
        </html>
        """
    }

    static let html = frame(title: "pending approvals", heading: "Pending approvals", link: ("/incidents", "Incidents"), body: """
        <main id="list"></main>
        <template id="card">
          <article class="card">
            <h2><span class="action"></span> <span class="risk"></span></h2>
            <p class="incident"></p>
            <dl class="params"></dl>
            <p class="rationale"></p>
            <p class="cause"></p>
            <ul class="hypotheses"></ul>
            <ul class="evidence"></ul>
            <p class="expires"></p>
            <label>Reason <input class="reason" required></label>
            <button class="approve">Approve</button> <button class="reject">Reject</button>
          </article>
        </template>
        """, script: "/approvals.js")

    static let css = """
        body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #1b1f24; }
        header { display: flex; justify-content: space-between; align-items: baseline; }
        .card { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.75rem 1rem; margin: 0.75rem 0; }
        .card:target { border-color: #0969da; box-shadow: 0 0 0 2px #0969da33; }
        .risk { font-size: 0.8rem; padding: 0.1rem 0.4rem; border-radius: 4px; background: #ffebe9; color: #cf222e; }
        dl.params { display: grid; grid-template-columns: max-content auto; gap: 0.1rem 1rem; }
        dl.params dt { font-family: ui-monospace, monospace; color: #57606a; }
        dl.params dd { margin: 0; font-family: ui-monospace, monospace; }
        .evidence { color: #57606a; }
        .approve { background: #1f883d; color: white; border: 0; padding: 0.3rem 0.8rem; border-radius: 4px; }
        .reject { background: #cf222e; color: white; border: 0; padding: 0.3rem 0.8rem; border-radius: 4px; }
        input.reason { width: 24rem; max-width: 100%; }
        .status-open { color: #cf222e; } .status-resolved { color: #1f883d; }
        table.incidents { border-collapse: collapse; width: 100%; }
        table.incidents td, table.incidents th { text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid #d0d7de; }
        ol.timeline { font-family: ui-monospace, monospace; font-size: 0.85rem; }
        pre.output, blockquote.section { background: #f6f8fa; padding: 0.5rem; overflow-x: auto; white-space: pre-wrap; margin: 0.25rem 0; }
        .feedback button { margin-right: 0.4rem; }
        """

    /// What both pages share: the token, the API call, and how untrusted text is shown.
    static let common = """
        "use strict";
        function token() { return sessionStorage.getItem("aiops-token"); }
        async function api(method, path, body) {
          const r = await fetch(path, { method, headers: { "Authorization": "Bearer " + token(),
            "Content-Type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
          const json = await r.json().catch(() => ({}));
          if (!r.ok) { throw new Error((json.error && json.error.message) || r.status); }
          return json;
        }
        // Untrusted text is shown as it is, not as it would like to look: control characters become \\xNN and
        // bidirectional overrides, zero-width and other invisible characters <U+XXXX> (as the CLI and Slack show them).
        function shown(value) {
          return String(value).replace(/[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]/g,
              c => "\\\\x" + c.charCodeAt(0).toString(16).padStart(2, "0"))
            .replace(/[\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ufff9-\\ufffb]/g,
              c => "<U+" + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0") + ">");
        }
        function text(el, sel, value) { el.querySelector(sel).textContent = shown(value); }
        const status = document.getElementById("status");
        const login = document.getElementById("login");
        // The token typed in is kept in this tab's sessionStorage only; then the page shows itself.
        function onSignIn(show) {
          login.addEventListener("submit", (ev) => {
            ev.preventDefault();
            sessionStorage.setItem("aiops-token", document.getElementById("token").value);
            show();
          });
        }
        // An API error about the token: forget it and ask again.
        function forgetRefusedToken(e) {
          if (String(e.message).includes("token")) { sessionStorage.removeItem("aiops-token"); login.hidden = false; }
        }
        """

    static let script = """
        "use strict";
        const list = document.getElementById("list");
        async function refresh() {
          if (!token()) { login.hidden = false; return; }
          login.hidden = true;
          let rows;
          try { rows = await api("GET", "/api/v1/approvals"); }
          catch (e) {
            status.textContent = "Could not list approvals: " + e.message;
            forgetRefusedToken(e);
            return;
          }
          status.textContent = rows.length ? rows.length + " pending" : "Nothing waits for approval.";
          list.replaceChildren();
          for (const row of rows) {
            const card = document.getElementById("card").content.firstElementChild.cloneNode(true);
            card.id = row.request_id;
            text(card, ".action", row.action);
            text(card, ".risk", row.risk);
            text(card, ".incident", "Incident " + row.incident_id + ": " + row.title);
            const dl = card.querySelector(".params");
            for (const [k, v] of Object.entries(row.parameters)) {
              const dt = document.createElement("dt"); dt.textContent = shown(k);
              const dd = document.createElement("dd"); dd.textContent = shown(v);
              dl.append(dt, dd);
            }
            text(card, ".rationale", "Why: " + row.rationale);
            if (row.triage) {
              text(card, ".cause", "Likely cause: " + (row.triage.likely_cause || "not established")
                + (row.triage.chosen_because ? " — " + row.triage.chosen_because : ""));
              const hl = card.querySelector(".hypotheses");
              for (const h of row.triage.hypotheses) {
                const li = document.createElement("li");
                li.textContent = shown(h.title + ": " + h.status + " (" + h.score + ")");
                hl.append(li);
              }
            }
            const ul = card.querySelector(".evidence");
            for (const e of row.evidence) {
              const li = document.createElement("li");
              li.textContent = shown(e.title + " — " + e.section + " (" + e.path + ")");
              ul.append(li);
            }
            text(card, ".expires", "Expires " + row.expires_at);
            for (const verb of ["approve", "reject"]) {
              card.querySelector("." + verb).addEventListener("click", async () => {
                const reason = card.querySelector(".reason").value.trim();
                if (!reason) { status.textContent = "A reason is required."; return; }
                try {
                  const r = await api("POST", "/api/v1/approvals/" + encodeURIComponent(row.request_id) + "/" + verb, { reason });
                  status.textContent = r.type + " recorded by " + r.approver;
                } catch (e) { status.textContent = verb + " failed: " + e.message; }
                refresh();
              });
            }
            list.append(card);
          }
          if (location.hash) { document.getElementById(location.hash.slice(1))?.scrollIntoView(); }
        }
        onSignIn(refresh);
        refresh();
        setInterval(() => { if (!document.activeElement?.classList.contains("reason")) { refresh(); } }, 15000);
        """
}

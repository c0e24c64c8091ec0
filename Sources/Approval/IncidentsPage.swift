/// The incident page, next to the approvals page (same token, same
/// Content-Security-Policy, no inline script): the open and recent incidents;
/// per incident its triage with every citation's section text, the
/// diagnostics and what they printed, the approvals waiting (linked to the
/// approvals page), the timeline from the log, and the feedback buttons
/// (`POST /api/v1/incidents/{id}/feedback`). Untrusted text only ever becomes
/// `textContent`.
enum IncidentsPage {
    static let html = ApprovalsPage.frame(title: "incidents", heading: "Incidents", link: ("/approvals", "Pending approvals"), body: """
        <table class="incidents" id="list" hidden>
          <thead><tr><th>Incident</th><th>Status</th><th>Service</th><th>Opened</th><th>Triage</th><th>Waiting</th></tr></thead>
          <tbody></tbody>
        </table>
        <section id="incident" hidden>
          <h2 id="title"></h2>
          <p id="meta"></p>
          <div id="triages"></div>
          <h3>Diagnostics and actions</h3>
          <div id="diagnostics"></div>
          <h3>Waiting for a human</h3>
          <ul id="waiting"></ul>
          <h3>Was this triage right?</h3>
          <div class="feedback">
            <label>Right cause or document (optional) <input id="right"></label>
            <label>Note <input id="note"></label><br>
            <button data-verdict="correct">Correct</button>
            <button data-verdict="wrong_cause">Wrong cause</button>
            <button data-verdict="missing_evidence">Missing evidence</button>
            <button data-verdict="irrelevant_citation">Irrelevant citation</button>
          </div>
          <ul id="said"></ul>
          <h3>Timeline</h3>
          <ol class="timeline" id="timeline"></ol>
        </section>
        """, script: "/incidents.js")

    static let script = """
        "use strict";
        const list = document.getElementById("list");
        const detail = document.getElementById("incident");
        function el(tag, value, cls) { const e = document.createElement(tag); if (value !== undefined) { e.textContent = shown(value); } if (cls) { e.className = cls; } return e; }
        function citation(c) {
          const li = el("li", c.title + " — " + c.section + " (" + c.path + ":" + c.lines + ")");
          if (c.text) { li.append(el("blockquote", c.text, "section")); }
          return li;
        }
        async function showList() {
          const rows = await api("GET", "/api/v1/incidents");
          list.hidden = false; detail.hidden = true;
          status.textContent = rows.length ? rows.filter(r => r.status === "open").length + " open, " + rows.length + " shown" : "No incidents.";
          const body = list.querySelector("tbody");
          body.replaceChildren();
          for (const r of rows) {
            const tr = document.createElement("tr");
            const a = el("a", r.title); a.href = "#" + encodeURIComponent(r.incident_id); a.className = "open-incident";
            const td = document.createElement("td"); td.append(a);
            tr.append(td, el("td", r.status, "status-" + r.status), el("td", r.service || ""), el("td", r.opened_at || ""),
                      el("td", r.triaged ? "proposed" : "not yet"), el("td", String(r.approvals_waiting)));
            body.append(tr);
          }
        }
        async function showIncident(id) {
          const v = await api("GET", "/api/v1/incidents/" + encodeURIComponent(id));
          list.hidden = true; detail.hidden = false; detail.dataset.incident = v.incident_id;
          status.textContent = "";
          document.getElementById("title").textContent = shown(v.title);
          document.getElementById("meta").textContent = shown(v.incident_id + " · " + v.status + " · " + (v.severity || "") + " · opened " + (v.opened_at || ""));
          const triages = document.getElementById("triages"); triages.replaceChildren();
          if (!v.triages.length) { triages.append(el("p", "No triage yet.")); }
          for (const t of v.triages) {
            const box = el("article", undefined, "card triage");
            box.append(el("h3", "Triage" + (t.alertname ? " of " + t.alertname : "") + " · " + t.at));
            box.append(el("p", "Likely cause: " + (t.likely_cause || "not established") + (t.chosen_because ? " — " + t.chosen_because : ""), "cause"));
            const cc = el("ul"); t.cause_citations.forEach(c => cc.append(citation(c))); box.append(cc);
            const hs = el("ul", undefined, "hypotheses");
            t.hypotheses.forEach(h => hs.append(el("li", h.title + ": " + h.status + " (" + h.score + ")")));
            box.append(hs);
            const steps = el("ol", undefined, "steps");
            for (const s of t.steps) { const li = el("li", s.text); const ul = el("ul"); s.citations.forEach(c => ul.append(citation(c))); li.append(ul); steps.append(li); }
            box.append(steps);
            if (t.unknowns.length) { box.append(el("p", "Unknown: " + t.unknowns.join("; "))); }
            triages.append(box);
          }
          const diags = document.getElementById("diagnostics"); diags.replaceChildren();
          if (!v.diagnostics.length) { diags.append(el("p", "None ran.")); }
          for (const d of v.diagnostics) {
            const box = el("div", undefined, "diagnostic");
            box.append(el("p", d.action + " " + Object.entries(d.parameters).map(([k, x]) => k + "=" + x).join(" ") + " — " + d.status + (d.exit_status !== undefined && d.exit_status !== null ? " (exit " + d.exit_status + ")" : "")));
            if (d.output) { box.append(el("pre", d.output + (d.truncated ? "\\n[truncated]" : ""), "output")); }
            diags.append(box);
          }
          const waiting = document.getElementById("waiting"); waiting.replaceChildren();
          for (const w of v.approvals_waiting) {
            const li = el("li"); const a = el("a", w.risk + " " + w.action + " until " + w.expires_at); a.href = "/approvals#" + encodeURIComponent(w.request_id);
            li.append(a); waiting.append(li);
          }
          if (!v.approvals_waiting.length) { waiting.append(el("li", "Nothing waits.")); }
          const said = document.getElementById("said"); said.replaceChildren();
          v.feedback.forEach(f => said.append(el("li", f.by + " said " + f.verdict + (f.right_cause ? " (right: " + f.right_cause + ")" : "") + (f.note ? ": " + f.note : "") + " · " + f.at)));
          const tl = document.getElementById("timeline"); tl.replaceChildren();
          v.timeline.forEach(e => tl.append(el("li", e.at + "  " + e.type + "  [" + e.producer + "]  " + e.summary)));
        }
        async function route() {
          if (!token()) { login.hidden = false; list.hidden = true; detail.hidden = true; return; }
          login.hidden = true;
          try { if (location.hash.length > 1) { await showIncident(decodeURIComponent(location.hash.slice(1))); } else { await showList(); } }
          catch (e) {
            status.textContent = "Could not load: " + e.message;
            forgetRefusedToken(e);
          }
        }
        for (const b of document.querySelectorAll(".feedback button")) {
          b.addEventListener("click", async () => {
            const right = document.getElementById("right").value.trim();
            const note = document.getElementById("note").value.trim();
            const body = { verdict: b.dataset.verdict };
            if (right) { body[right.includes("/") ? "right_document" : "right_cause"] = right; }
            if (note) { body.note = note; }
            let said;
            try {
              const r = await api("POST", "/api/v1/incidents/" + encodeURIComponent(detail.dataset.incident) + "/feedback", body);
              said = "Feedback " + r.verdict + " recorded by " + r.by;
            } catch (e) { said = "Feedback failed: " + e.message; }
            await route();
            status.textContent = shown(said);
          });
        }
        onSignIn(route);
        window.addEventListener("hashchange", route);
        route();
        """
}

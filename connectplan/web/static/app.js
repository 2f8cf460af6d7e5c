/* connectplan configurator: the phone bar's toggle and focus after an update (loaded from /static; no eval,
   no inline code: the CSP allows only 'self' scripts). Everything works without it as a plain form. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var pendingFocus = null;

  function setupToggle() {
    var toggle = document.getElementById("panel-toggle");
    var panel = document.getElementById("plan-panel");
    if (!toggle || !panel || toggle.dataset.ready) return;
    toggle.dataset.ready = "1";
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = panel.classList.toggle("expanded");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      toggle.textContent = open ? "Hide details" : "Show details";
    });
  }

  document.addEventListener("DOMContentLoaded", setupToggle);
  if (document.readyState !== "loading") setupToggle();

  // a link to another state of the configurator (a fix, an alternative, a preset): a partial update that
  // names the page's state (prev=), so only what changes is sent; a modified click opens it as a page
  document.addEventListener("click", function (evt) {
    var link = evt.target.closest ? evt.target.closest("a[data-follow]") : null;
    if (!link || !window.htmx || evt.defaultPrevented || evt.button !== 0 ||
        evt.ctrlKey || evt.metaKey || evt.shiftKey || evt.altKey) return;
    var prev = document.getElementById("prev");
    evt.preventDefault();
    pendingFocus = link.getAttribute("data-focus") || link.id || null;
    window.htmx.ajax("GET", "/partials/workspace" + link.search, {
      source: link, swap: "none", values: prev ? { prev: prev.value } : {}
    });
  });

  // a link or button that replaces itself (a fix, an alternative, a preset, "Next") names what to focus after it
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var elt = evt.detail && evt.detail.elt;
    var focus = elt && elt.getAttribute ? elt.getAttribute("data-focus") : null;
    if (focus) pendingFocus = focus;
  });
  // the configurator's URL follows each update (X-Push-Url), pushed after the update is painted; the entries
  // carry htmx's state, so Back reloads the page of that URL (htmx: refreshOnHistoryMiss, no history cache)
  document.addEventListener("htmx:afterOnLoad", function (evt) {
    var xhr = evt.detail && evt.detail.xhr;
    var url = xhr && xhr.getResponseHeader("X-Push-Url");
    if (!url) return;
    requestAnimationFrame(function () {
      setTimeout(function () {
        if (!(history.state && history.state.htmx)) history.replaceState({ htmx: true }, "", location.href);
        if (location.pathname + location.search !== url) history.pushState({ htmx: true }, "", url);
      }, 0);
    });
  });

  function restoreFocus() {
    var active = document.activeElement;
    var lost = !active || active === document.body || !document.body.contains(active);
    if (pendingFocus) {
      var target = document.getElementById(pendingFocus);
      pendingFocus = null;
      if (target && lost) target.focus({ preventScroll: false });
      else if (target && active && active.closest && active.closest("#panel-status, #sections, #presets")) target.focus();
    }
    active = document.activeElement;
    if (!active || active === document.body) {
      var verdict = document.getElementById("h-verdict");
      if (verdict) { verdict.setAttribute("tabindex", "-1"); verdict.focus(); }
    }
  }
  document.addEventListener("htmx:afterSettle", restoreFocus);

  // after an update the verdict must be in the window: a change made above the workspace (a preset, with the
  // presets box open) scrolls down just enough to show it, never so far that the focused control leaves the top
  function showVerdict() {
    var verdict = document.getElementById("h-verdict");
    if (!verdict) return;
    var below = verdict.getBoundingClientRect().bottom - window.innerHeight + 8;
    if (below <= 8) return;
    var active = document.activeElement;
    if (active && active !== document.body) below = Math.min(below, active.getBoundingClientRect().top - 8);
    if (below > 0) window.scrollBy(0, below);
  }

  // A configurator update (X-Push-Url) is only out-of-band parts (web/updates.py). They are put in place
  // here rather than by htmx's swap, which dispatches an event per swapped part for every part swapped
  // before it and re-reads attributes for settling: on a 2-core laptop that was most of the time between
  // the response and the painted frame. Same semantics: data-hx-swap-oob="true" replaces the element of
  // the same id; "STYLE:SELECTOR" with innerHTML, afterbegin, afterend or delete; parts inside <template>
  // too; new content is handed to htmx.process; focus is restored by id.
  function place(part) {
    var spec = part.getAttribute("data-hx-swap-oob");
    part.removeAttribute("data-hx-swap-oob");
    var colon = spec.indexOf(":");
    var style = spec === "true" ? "outerHTML" : colon > 0 ? spec.slice(0, colon) : spec;
    var target = colon > 0 ? document.querySelector(spec.slice(colon + 1)) : document.getElementById(part.id);
    if (!target) return [];
    var nodes = style === "outerHTML" ? [part] : Array.prototype.slice.call(part.childNodes);
    if (style === "outerHTML") target.replaceWith(part);
    else if (style === "innerHTML") target.replaceChildren.apply(target, nodes);
    else if (style === "afterend") target.after.apply(target, nodes);
    else if (style === "afterbegin") target.prepend.apply(target, nodes);
    else if (style === "delete") target.remove();
    return nodes;
  }

  function applyUpdate(html) {
    var activeId = document.activeElement && document.activeElement.id;
    var holder = document.createElement("template");
    holder.innerHTML = html;
    var parts = Array.prototype.slice.call(holder.content.querySelectorAll("[data-hx-swap-oob]"));
    Array.prototype.forEach.call(holder.content.querySelectorAll("template"), function (inner) {
      parts = parts.concat(Array.prototype.slice.call(inner.content.querySelectorAll("[data-hx-swap-oob]")));
    });
    var placed = [];
    parts.forEach(function (part) { placed = placed.concat(place(part)); });
    placed.forEach(function (node) {
      if (node.nodeType === 1 && (node.matches("[data-hx-get]") || node.querySelector("[data-hx-get]"))) {
        window.htmx.process(node);
      }
    });
    var active = document.activeElement;
    if (activeId && (!active || active === document.body)) {
      var again = document.getElementById(activeId);
      if (again) again.focus({ preventScroll: true });
    }
    restoreFocus();
    showVerdict();
    announce();
    document.body.dispatchEvent(new CustomEvent("configurator:updated", { bubbles: true }));
  }

  // the live region outside the swapped parts says the new verdict and what the change did (the panel's
  // own words, so the update does not carry them twice)
  function announce() {
    var region = document.getElementById("announce");
    var verdict = document.getElementById("h-verdict");
    if (!region || !verdict) return;
    var words = [verdict.textContent.replace(/\s+/g, " ").trim() + "."];
    document.querySelectorAll("#panel-status .last-change li").forEach(function (li) {
      words.push(li.textContent.replace(/\s+/g, " ").trim());
    });
    region.textContent = words.join(" ");
  }

  // a save form submits the selection the page shows: its hidden fields are written with the page and not
  // re-sent by updates, so they are rewritten here from the page's state (#prev, the canonical query)
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    var fields = form.querySelector ? form.querySelector("[data-selection]") : null;
    var prev = document.getElementById("prev");
    if (!fields || !prev) return;
    var keep = Array.prototype.filter.call(fields.querySelectorAll("input"), function (input) {
      return input.name === "csrf_token" || input.name === "base";
    });
    var inputs = [];
    new URLSearchParams(prev.value).forEach(function (value, name) {
      if (name === "plan" || name === "base" || name === "section") return;
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      inputs.push(input);
    });
    fields.replaceChildren.apply(fields, keep.concat(inputs));
  }, true);

  // an "Explain" disclosure of a partial update comes empty (data-explain names what it explains): its text
  // is fetched for the form's selection when it is first opened
  document.addEventListener("toggle", function (evt) {
    var box = evt.target;
    if (!box.open || !box.getAttribute || !box.getAttribute("data-explain") || box.dataset.loaded) return;
    var form = document.getElementById("configure");
    if (!form) return;
    box.dataset.loaded = "1";
    var params = new URLSearchParams(new FormData(form));
    params.set("explain", box.getAttribute("data-explain"));
    fetch("/partials/explain?" + params.toString(), { headers: { "HX-Request": "true" } })
      .then(function (resp) { return resp.ok ? resp.text() : Promise.reject(resp.status); })
      .then(function (html) {
        var summary = box.querySelector("summary");
        var holder = document.createElement("template");
        holder.innerHTML = html;
        box.replaceChildren(summary, holder.content);
      })
      .catch(function () { delete box.dataset.loaded; });
  }, true);

  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail && evt.detail.xhr;
    if (!xhr) return;
    var path = (evt.detail.requestConfig && evt.detail.requestConfig.path) || "";
    if (xhr.status >= 400 && path.indexOf("/partials/workspace") === 0 && evt.detail.shouldSwap) {
      // an error fragment (400, 409, 503: _error.html, id="workspace") replaces the configurator, as a
      // page would, with its link back to the selection
      evt.detail.target = document.getElementById("workspace");
      evt.detail.swapOverride = "outerHTML";
      return;
    }
    if (!xhr.getResponseHeader("X-Push-Url") || xhr.status !== 200) return;
    evt.detail.shouldSwap = false;
    applyUpdate(xhr.responseText);
  });
})();

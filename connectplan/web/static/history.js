/* connectplan: the plan forms' helpers (progressive: every form works without this file).
 *
 * - the author is remembered per browser (localStorage) and filled into empty author fields;
 * - plan names and tags are checked as they are typed (the store's rules, the same as the HTML pattern);
 * - "Save version" is disabled while the selection equals the version it was opened from;
 * - a confirmation (?done=...) takes the focus and leaves the URL, so a reload does not repeat it; a page a
 *   form lands on focuses the confirmation, the field at fault or its heading, never <body>.
 * Forms are found by their action and field names, so the templates need no script hooks.
 */
(function () {
  "use strict";

  var AUTHOR_KEY = "connectplan.author";
  // connectplan.refs.PLAN_NAME_PATTERN and TAG_NAME_PATTERN (tests/test_web_history.py checks they agree)
  var PLAN_NAME_PATTERN = "[A-Za-z0-9][A-Za-z0-9._\\-]{0,99}";
  var TAG_NAME_PATTERN = "(?!latest$)[A-Za-z][A-Za-z0-9._\\-]{0,99}";
  var PLAN_NAME_TITLE = "Letters, digits, '.', '_' or '-' (up to 100, starting with a letter or digit)";
  var TAG_NAME_TITLE = "A tag starts with a letter, uses letters, digits, '.', '_' or '-', and is not 'latest'";
  var NOT_PROPERTIES = ["catalog", "preset", "plan", "base", "csrf_token", "name", "message", "author",
    "allow_blocked", "new_name", "tag", "force", "to", "dry_run", "ref", "section", "prev", "go"];
  var baseSelections = {};

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function rememberAuthor(form) {
    var input = form.querySelector("input[name=author]");
    var store = storage();
    if (input && store && input.value.trim()) { store.setItem(AUTHOR_KEY, input.value.trim()); }
  }

  function fillAuthors(root) {
    var store = storage();
    var author = store ? store.getItem(AUTHOR_KEY) : null;
    if (!author) { return; }
    root.querySelectorAll("form[method=post] input[name=author]").forEach(function (input) {
      if (!input.value) { input.value = author; }
    });
  }

  function describe(input, id) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (ids.indexOf(id) < 0) { ids.push(id); input.setAttribute("aria-describedby", ids.join(" ")); }
  }

  function checkName(input) {
    var msg = document.getElementById(input.id + "-msg");
    var bad = input.value !== "" && !input.validity.valid;
    if (bad) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
    if (msg) {
      var text = bad ? "Not valid. " + input.title + "." : "";
      if (msg.textContent !== text) { msg.textContent = text; }
    }
  }

  function nameFields(root) {
    var fields = root.querySelectorAll(
      "form[action='/plans'] input[name=name], form[action$='/fork'] input[name=new_name], " +
      "form[action$='/tag'] input[name=tag]");
    fields.forEach(function (input) {
      if (input.dataset.nameChecked) { return; }
      input.dataset.nameChecked = "1";
      var tag = input.name === "tag";
      if (!input.id) { input.id = "name-field-" + input.name; }
      if (!input.hasAttribute("pattern")) { input.setAttribute("pattern", tag ? TAG_NAME_PATTERN : PLAN_NAME_PATTERN); }
      if (!input.hasAttribute("maxlength")) { input.setAttribute("maxlength", "100"); }
      if (!input.title) { input.title = tag ? TAG_NAME_TITLE : PLAN_NAME_TITLE; }
      var msg = document.createElement("span");
      msg.id = input.id + "-msg";
      msg.className = "field-msg";
      msg.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", msg);
      describe(input, msg.id);
      input.addEventListener("input", function () { checkName(input); });
      input.addEventListener("blur", function () { if (input.value !== input.defaultValue) { checkName(input); } });
    });
  }

  // -- Save version: disabled while nothing changed ---------------------------------------------

  function pairsOf(form) {
    var out = [];
    new FormData(form).forEach(function (value, key) {
      if (typeof value === "string" && value !== "" && NOT_PROPERTIES.indexOf(key) < 0) { out.push(key + "=" + value); }
    });
    return out.sort().join("&");
  }

  function selectionPairs(selection) {
    var out = [];
    Object.keys(selection).forEach(function (key) {
      var value = selection[key];
      (Array.isArray(value) ? value : [value]).forEach(function (v) { out.push(key + "=" + v); });
    });
    return out.sort().join("&");
  }

  function saveVersionForms(root) {
    return root.querySelectorAll("form[method=post][action^='/plans/'][action$='/versions']");
  }

  function markUnchanged(form, ref, unchanged) {
    var button = form.querySelector("button[type=submit], button:not([type])");
    if (!button) { return; }
    var hintId = "unchanged-hint";
    var hint = form.querySelector("#" + hintId);
    if (unchanged) {
      button.disabled = true;
      if (!hint) {
        hint = document.createElement("p");
        hint.id = hintId;
        hint.className = "hint";
        button.parentNode.insertBefore(hint, button);
      }
      hint.textContent = "Nothing changed since " + ref + ": change an option to save a new version.";
      describe(button, hintId);
    } else {
      button.disabled = false;
      if (hint) { hint.textContent = ""; }
    }
  }

  function syncSaveVersion() {
    saveVersionForms(document).forEach(function (form) {
      var match = /^\/plans\/([^/]+)\/versions$/.exec(form.getAttribute("action"));
      var base = form.querySelector("input[name=base]");
      if (!match || !base || !/^[0-9]+$/.test(base.value)) { return; }
      var ref = decodeURIComponent(match[1]) + "@" + base.value;
      var configure = document.getElementById("configure");
      var current = pairsOf(configure || form);
      var apply = function (saved) { markUnchanged(form, ref, saved === current); };
      if (baseSelections[ref] !== undefined) { apply(baseSelections[ref]); return; }
      fetch("/api/plans/" + encodeURIComponent(ref).replace("%40", "@"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (doc) {
          if (!doc || !doc.selection) { return; }
          baseSelections[ref] = selectionPairs(doc.selection);
          syncSaveVersion();
        })
        .catch(function () { /* the server still refuses a save that changes nothing */ });
    });
  }

  // -- confirmations ------------------------------------------------------------------------------

  // After a form lands on a page, the focus goes where the user continues: the confirmation, the first
  // field at fault, or the page's heading (data-landing), never <body>.
  function landing() {
    var url = new URL(window.location.href);
    if (url.searchParams.has("done")) {
      url.searchParams.delete("done");
      url.searchParams.delete("tag");
      window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
    }
    if (document.activeElement && document.activeElement !== document.body) { return; }
    var target = document.getElementById("flash") || document.querySelector("form [aria-invalid=true]") ||
      document.querySelector("[data-landing]");
    if (target) { target.focus(); }
  }

  function enhance(root) {
    fillAuthors(root);
    nameFields(root);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.method === "post") { rememberAuthor(form); }
  }, true);
  document.addEventListener("change", function (event) {
    if (event.target && event.target.form && event.target.form.id === "configure") { syncSaveVersion(); }
  });
  document.addEventListener("htmx:load", function (event) { enhance(event.target); syncSaveVersion(); });

  function start() {
    enhance(document);
    syncSaveVersion();
    landing();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());

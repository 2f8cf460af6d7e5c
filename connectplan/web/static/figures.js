// Figures: open a diagram in a dialog (Enter or click on its link; Escape closes, focus goes back to the link),
// zoom (fit / actual size), the reverse-flow toggle, copy as SVG or PNG. Without this file every link goes to
// the figure page (/figures/KIND?QUERY), which works as it is. No inline script or style (strict CSP).
(function () {
  "use strict";

  function setZoom(scroll, full, buttons) {
    scroll.classList.toggle("is-full", full);
    buttons.forEach(function (b) { b.setAttribute("aria-pressed", String((b.dataset.zoom === "full") === full)); });
  }

  function copy(button, status) {
    var kind = button.dataset.copy;
    fetch(button.dataset.src, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return kind === "svg" ? r.text() : r.blob();
    }).then(function (body) {
      if (kind === "svg") { return navigator.clipboard.writeText(body); }
      return navigator.clipboard.write([new ClipboardItem({ "image/png": body })]);
    }).then(function () {
      status.textContent = (kind === "svg" ? "SVG" : "PNG") + " copied";
    }).catch(function () {
      status.textContent = "Copying is not allowed here; use the download link";
    });
  }

  function enableTools(root) {
    var status = root.querySelector(".figure-status");
    root.querySelectorAll(".figure-copy").forEach(function (b) {
      if (navigator.clipboard) { b.hidden = false; }
      b.addEventListener("click", function () { copy(b, status); });
    });
    var scroll = root.querySelector(".figure-scroll");
    var zooms = Array.prototype.slice.call(root.querySelectorAll(".figure-zoom"));
    zooms.forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () { setZoom(scroll, b.dataset.zoom === "full", zooms); });
    });
  }

  function withReverse(url, on) {
    var u = new URL(url, location.href);
    u.searchParams.delete("reverse");
    if (on) { u.searchParams.set("reverse", "1"); }
    return u.pathname + "?" + u.searchParams.toString();
  }

  var dialog = null;
  var opener = null;

  function buildDialog() {
    dialog = document.createElement("dialog");
    dialog.className = "figure-dialog";
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-labelledby", "figure-dialog-title");
    dialog.innerHTML =
      '<button type="button" class="figure-close">Close</button>' +
      '<h2 id="figure-dialog-title"></h2>' +
      '<div class="figure-tools" role="group" aria-label="Zoom, download or copy">' +
      '<button type="button" class="figure-zoom" data-zoom="fit" aria-pressed="true">Fit width</button>' +
      '<button type="button" class="figure-zoom" data-zoom="full" aria-pressed="false">Actual size</button>' +
      '<label class="figure-reverse-toggle"><input type="checkbox" class="figure-reverse-box"> Show reverse flows (refunds, disputes, reversals, recovery)</label>' +
      '<a class="figure-dl" data-format="svg" download>Download SVG</a>' +
      '<a class="figure-dl" data-format="png" download>Download PNG</a>' +
      '<button type="button" class="figure-copy" data-copy="svg" hidden>Copy SVG</button>' +
      '<button type="button" class="figure-copy" data-copy="png" hidden>Copy PNG</button>' +
      '<a class="figure-page">Open the figure page</a>' +
      '<span class="figure-status" role="status"></span></div>' +
      '<div class="figure-scroll" tabindex="0" role="region" aria-label="The figure, scrollable"><img alt=""></div>';
    document.body.appendChild(dialog);
    enableTools(dialog);
    dialog.querySelector(".figure-close").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () {
      if (opener && opener.isConnected) { opener.focus(); }
      opener = null;
    });
    dialog.querySelector(".figure-reverse-box").addEventListener("change", function (e) { show(e.target.checked); });
    dialog.addEventListener("keydown", trapTab);
  }

  // Tab and Shift+Tab wrap around inside the dialog (the browser would move on to its own toolbar)
  function trapTab(e) {
    if (e.key !== "Tab") { return; }
    var items = Array.prototype.filter.call(
      dialog.querySelectorAll("a[href], button, input, [tabindex='0']"),
      function (el) { return !el.disabled && el.getClientRects().length > 0; }
    );
    if (!items.length) { return; }
    var first = items[0];
    var last = items[items.length - 1];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  }

  function show(reverse) {
    var link = dialog.figureLink;
    var svg = withReverse(link.dataset.figureSvg, reverse);
    var img = dialog.querySelector(".figure-scroll img");
    var thumb = link.querySelector("img");
    if (!reverse && thumb && thumb.getAttribute("width")) {
      img.setAttribute("width", thumb.getAttribute("width"));
      img.setAttribute("height", thumb.getAttribute("height"));
    } else {
      img.removeAttribute("width");
      img.removeAttribute("height");
      img.addEventListener("load", function sized() {
        img.removeEventListener("load", sized);
        img.setAttribute("width", String(img.naturalWidth));
        img.setAttribute("height", String(img.naturalHeight));
      });
    }
    img.src = svg;
    img.alt = link.dataset.figureTitle + (reverse ? ", with reverse flows" : "");
    dialog.querySelectorAll(".figure-dl").forEach(function (a) {
      a.href = svg.replace(/\.svg\?/, "." + a.dataset.format + "?") + "&download=1";
    });
    dialog.querySelectorAll(".figure-copy").forEach(function (b) {
      b.dataset.src = svg.replace(/\.svg\?/, "." + b.dataset.copy + "?");
    });
    dialog.querySelector(".figure-page").href = withReverse(link.getAttribute("href"), reverse);
    dialog.querySelector(".figure-status").textContent = "";
  }

  function open(link) {
    if (!dialog) { buildDialog(); }
    opener = link;
    dialog.figureLink = link;
    dialog.querySelector("#figure-dialog-title").textContent = link.dataset.figureTitle;
    var money = link.dataset.figureKind === "money-flow";
    dialog.querySelector(".figure-reverse-toggle").hidden = !money;
    dialog.querySelector(".figure-reverse-box").checked = false;
    show(false);
    dialog.showModal();
    dialog.querySelector(".figure-close").focus();
  }

  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a.figure-open");
    if (!link || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0 || typeof HTMLDialogElement !== "function") { return; }
    e.preventDefault();
    open(link);
  });

  document.addEventListener("DOMContentLoaded", function () {
    var page = document.querySelector(".figure-full");
    if (page) { enableTools(document); }
    document.querySelectorAll("[data-figure-autosubmit]").forEach(function (box) {
      var apply = box.form.querySelector(".figure-apply");
      if (apply) { apply.hidden = true; }
      box.addEventListener("change", function () { box.form.submit(); });
    });
  });
})();

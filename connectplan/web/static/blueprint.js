// The Blueprint page's copy buttons: <button data-copy-target="ID"> copies the text of element ID.
// No inline script (strict CSP); nothing is sent anywhere.
(function () {
  "use strict";

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "blueprint-offscreen";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } finally {
      document.body.removeChild(area);
    }
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); });
    }
    return fallbackCopy(text);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy-target]");
    if (!button) {
      return;
    }
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    if (!source) {
      return;
    }
    var label = button.textContent;
    copy(source.textContent).then(function () {
      button.textContent = button.getAttribute("data-copied-label") || "Copied";
      button.setAttribute("data-copied", "true");
    }, function () {
      button.textContent = "Select the text and copy it";
    }).finally(function () {
      window.setTimeout(function () { button.textContent = label; }, 2000);
    });
  });
}());

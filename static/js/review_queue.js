/* The review queue (申請の一覧, admin): the filter panel collapses, and the choice is
   remembered in this browser. A file, not an inline script, for the Content-Security-Policy;
   the button's labels come from its data-open-label / data-closed-label (translated). */
(function () {
  "use strict";
  var key = "kyoukai.reviewQueue.filtersOpen";
  var box = document.getElementById("changelist");
  var button = document.getElementById("toggle-filters");
  if (!box || !button) { return; }
  function show(open) {
    box.classList.toggle("filters-collapsed", !open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.textContent = open ? button.dataset.openLabel : button.dataset.closedLabel;
  }
  show(window.localStorage.getItem(key) === "1");
  button.addEventListener("click", function () {
    var open = box.classList.contains("filters-collapsed");
    window.localStorage.setItem(key, open ? "1" : "0");
    show(open);
  });
})();

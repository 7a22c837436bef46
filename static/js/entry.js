/* The entry page, improved when JavaScript runs (the page works without it):
   - required_when: a conditional field is shown only while its condition holds; while
     hidden, its inputs are disabled so that nothing is sent for it;
   - 和暦 beside date and month inputs, updated as the member types;
   - a thumbnail preview of files chosen for upload;
   - bank and branch search (全銀 list) that fills the codes. */
(function () {
  "use strict";
  var form = document.getElementById("entry-form");
  if (!form) { return; }

  // --- required_when ------------------------------------------------------------------------
  function currentValue(name) {
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    for (var i = 0; i < inputs.length; i++) {
      var el = inputs[i];
      if (el.type === "radio") { if (el.checked) { return el.value; } }
      else { return el.value; }
    }
    return "";
  }
  var conditional = form.querySelectorAll("[data-when-field]");
  function applyConditions() {
    conditional.forEach(function (wrap) {
      var values = wrap.getAttribute("data-when-values").split(" ");
      var show = values.indexOf(currentValue(wrap.getAttribute("data-when-field"))) !== -1;
      wrap.hidden = !show;
      wrap.querySelectorAll("input, select, textarea").forEach(function (el) {
        el.disabled = !show;
      });
    });
  }
  form.addEventListener("change", applyConditions);
  applyConditions();

  // --- 和暦 ------------------------------------------------------------------------------------
  var ERAS = [["令和", 2019, 5, 1], ["平成", 1989, 1, 8], ["昭和", 1926, 12, 25],
              ["大正", 1912, 7, 30], ["明治", 1868, 10, 23]];
  function wareki(value) {
    var m = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(value);
    if (!m) { return ""; }
    var y = +m[1], mo = +m[2], d = m[3] ? +m[3] : 1;
    for (var i = 0; i < ERAS.length; i++) {
      var e = ERAS[i];
      if (y > e[1] || (y === e[1] && (mo > e[2] || (mo === e[2] && d >= e[3])))) {
        var n = y - e[1] + 1;
        var text = e[0] + (n === 1 ? "元" : n) + "年" + mo + "月";
        return m[3] ? text + d + "日" : text;
      }
    }
    return "";
  }
  form.querySelectorAll("[data-wareki]").forEach(function (input) {
    var out = document.getElementById(input.getAttribute("data-wareki"));
    input.addEventListener("input", function () { out.textContent = wareki(input.value); });
  });

  // --- file previews ---------------------------------------------------------------------------
  form.querySelectorAll("input[type=file][data-preview]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("data-preview"));
    input.addEventListener("change", function () {
      list.textContent = "";
      Array.prototype.forEach.call(input.files, function (file) {
        var li = document.createElement("li");
        if (file.type.indexOf("image/") === 0 && window.URL) {
          var img = document.createElement("img");
          img.src = URL.createObjectURL(file);
          img.alt = file.name;
          li.appendChild(img);
        }
        var name = document.createElement("span");
        name.textContent = file.name;
        li.appendChild(name);
        list.appendChild(li);
      });
    });
  });

  // --- bank and branch search -------------------------------------------------------------------
  var section = document.getElementById("bank-section");
  if (!section || !window.fetch) { return; }
  section.querySelectorAll("[data-enhance=bank-search]").forEach(function (el) { el.hidden = false; });
  var bankCode = document.getElementById("id_bank-bank_code");
  var branchCode = document.getElementById("id_bank-branch_code");
  function search(input, listId, url, codeInput) {
    var list = document.getElementById(listId);
    var found = {};
    var timer = null;
    input.addEventListener("input", function () {
      var value = input.value;
      if (found[value]) { codeInput.value = found[value]; return; }
      clearTimeout(timer);
      timer = setTimeout(function () {
        fetch(url() + "?q=" + encodeURIComponent(value), {credentials: "same-origin"})
          .then(function (r) { return r.json(); })
          .then(function (body) {
            list.textContent = "";
            found = {};
            body.results.forEach(function (hit) {
              var label = hit.name + "（" + hit.code + "）";
              found[label] = hit.code;
              var option = document.createElement("option");
              option.value = label;
              list.appendChild(option);
            });
          });
      }, 250);
    });
  }
  search(document.getElementById("bank-search"), "bank-options",
         function () { return section.getAttribute("data-banks-url"); }, bankCode);
  search(document.getElementById("branch-search"), "branch-options", function () {
    return section.getAttribute("data-branches-url").replace("BANK", bankCode.value || "0000");
  }, branchCode);
})();

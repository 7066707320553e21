/* vpce-scan report: filters, search, copy buttons, cost recalculation. It fetches nothing, evaluates
   nothing and parses no markup: strings are read with textContent or JSON.parse and written as textContent. */
(function () {
  "use strict";

  var list = document.getElementById("finding-list");
  var items = list ? Array.prototype.slice.call(list.querySelectorAll("article[data-f]")) : [];
  /* data-f is "<status> <severity> <rule index> <account index>". */
  var keys = items.map(function (el) { return el.getAttribute("data-f").split(" "); });
  var filters = document.getElementById("filters");
  var shown = document.getElementById("shown");
  var ruleSelect = document.getElementById("f-rule");
  var accountSelect = document.getElementById("f-account");
  var search = document.getElementById("f-text");
  var texts = null;

  function boxes(name) {
    return filters ? Array.prototype.slice.call(filters.querySelectorAll("input[name='" + name + "']")) : [];
  }

  function checkedSet(name) {
    var set = Object.create(null);
    boxes(name).forEach(function (box) { if (box.checked) { set[box.value] = true; } });
    return set;
  }

  function apply() {
    if (!filters) { return; }
    var status = checkedSet("status");
    var severity = checkedSet("severity");
    var rule = ruleSelect.value;
    var account = accountSelect.value;
    var terms = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    if (terms.length && texts === null) {
      texts = items.map(function (el) { return el.textContent.toLowerCase(); });
    }
    var count = 0;
    for (var i = 0; i < items.length; i++) {
      var k = keys[i];
      var show = status[k[0]] === true && severity[k[1]] === true && (!rule || k[2] === rule) && (!account || k[3] === account);
      for (var t = 0; show && t < terms.length; t++) {
        show = texts[i].indexOf(terms[t]) !== -1;
      }
      if (items[i].hidden === show) { items[i].hidden = !show; }
      if (show) { count++; }
    }
    shown.textContent = "Showing " + count + " of " + items.length + " results.";
  }

  function setFilters(statuses, severities) {
    boxes("status").forEach(function (box) { box.checked = statuses === null || statuses.indexOf(box.value) !== -1; });
    boxes("severity").forEach(function (box) { box.checked = severities === null || severities.indexOf(box.value) !== -1; });
    ruleSelect.value = "";
    accountSelect.value = "";
    search.value = "";
    apply();
  }

  function reveal() {
    var id = window.location.hash.slice(1);
    if (!/^f\d+$/.test(id)) { return; }
    var el = document.getElementById(id);
    if (el && el.hidden && el.hasAttribute("data-f")) {
      var k = el.getAttribute("data-f").split(" ");
      boxes("status").forEach(function (box) { if (box.value === k[0]) { box.checked = true; } });
      boxes("severity").forEach(function (box) { if (box.value === k[1]) { box.checked = true; } });
      ruleSelect.value = "";
      accountSelect.value = "";
      search.value = "";
      apply();
      el.scrollIntoView();
    }
  }

  if (filters) {
    filters.hidden = false;
    filters.addEventListener("change", apply);
    var timer = null;
    search.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(apply, items.length > 2000 ? 150 : 30);
    });
    document.getElementById("f-reset").addEventListener("click", function () { setFilters(["fail", "error"], null); });
    apply();
    reveal();
    window.addEventListener("hashchange", reveal);
  }

  /* Links that open the findings filtered: data-show (statuses), data-severity, data-rule. */
  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest("a[data-show]") : null;
    if (!link || !filters) { return; }
    var severity = link.getAttribute("data-severity");
    setFilters(link.getAttribute("data-show").split(" "), severity ? [severity] : null);
    var rule = link.getAttribute("data-rule");
    if (rule !== null) {
      ruleSelect.value = rule;
      apply();
    }
  });

  /* Copy buttons: the Clipboard API where the page may use it, else a selected textarea and execCommand. */
  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copied(button, code, ok) {
    button.textContent = ok ? "copied" : "press Ctrl+C";
    button.classList.toggle("ok", ok);
    if (!ok) { selectText(code); }
    window.setTimeout(function () { button.textContent = "copy"; button.classList.remove("ok"); }, 1600);
  }

  function fallbackCopy(button, code, text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (err) { ok = false; }
    document.body.removeChild(area);
    copied(button, code, ok);
  }

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("button.copy") : null;
    if (!button) { return; }
    var code = button.parentNode.querySelector("code");
    var text = code.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { copied(button, code, true); },
        function () { fallbackCopy(button, code, text); }
      );
    } else {
      fallbackCopy(button, code, text);
    }
  });

  var dataNode = document.getElementById("report-data");
  var report = dataNode ? JSON.parse(dataNode.textContent) : { costs: null, rules: [] };

  /* A finding's heading shows its rule id; hovering it names the rule (as a title, i.e. plain text). */
  if (list) {
    list.addEventListener("mouseover", function (event) {
      var heading = event.target instanceof Element ? event.target.closest("article[data-f] > h3") : null;
      if (!heading || heading.hasAttribute("title")) { return; }
      var name = report.rules[Number(heading.parentNode.getAttribute("data-f").split(" ")[2])];
      if (typeof name === "string") { heading.setAttribute("title", name); }
    });
  }

  /* Cost panel: recompute the traffic-dependent figures when the reader changes the GB a month. */
  var gbInput = document.getElementById("gb");
  if (report.costs && gbInput) {
    var data = report.costs;
    var money = function (v) {
      var text = "$" + Math.abs(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
      return v < 0 ? "-" + text : text;
    };
    var qty = function (v) { return v.toLocaleString("en-US", { maximumFractionDigits: 2 }); };
    var set = function (root, key, text) {
      var node = root.querySelector("[data-cost='" + key + "']");
      if (node) { node.textContent = text; }
    };
    var recost = function () {
      var gb = Number(gbInput.value);
      if (gbInput.value === "" || !isFinite(gb) || gb < 0) { return; }
      var panels = Array.prototype.slice.call(document.querySelectorAll("article.cost"));
      data.vpcs.forEach(function (v) {
        var root = panels.filter(function (el) { return el.dataset.vpc === v.key; })[0];
        if (!root) { return; }
        var epRate = v.iface ? data.ep_gb : 0;
        var ep = v.ef + gb * epRate;
        var nat = v.nf + gb * data.nat_gb;
        if (v.iface) { set(root, "ep-data-f", qty(gb) + " GB × $" + epRate + "/GB"); }
        set(root, "ep-data", money(gb * epRate));
        set(root, "ep-total", money(ep));
        set(root, "nat-data-f", qty(gb) + " GB × $" + data.nat_gb + "/GB");
        set(root, "nat-data", money(gb * data.nat_gb));
        set(root, "nat-total", money(nat));
        var diff = Math.round((nat - ep) * 100) / 100;
        var head = "At " + qty(gb) + " GB a month ";
        set(root, "verdict", diff > 0 ? head + "the endpoints cost " + money(diff) + " a month less than NAT."
          : diff < 0 ? head + "NAT costs " + money(-diff) + " a month less than the endpoints."
          : head + "both cost the same.");
      });
    };
    gbInput.addEventListener("input", recost);
  }
}());

// report.html's behaviour: sortable tables and the schedule's step-through. The page reads
// fully without it.
(function () {
  "use strict";
  var errors = [];
  window.addEventListener("error", function (e) {
    errors.push(String(e.message));
    document.body.setAttribute("data-errors", errors.join(" | "));
  });
  document.documentElement.className = "js";

  // Sortable tables: a click on a header sorts by that column, numbers as numbers.
  function sortBy(table, col, th) {
    var body = table.tBodies[0];
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col] ? a.cells[col].getAttribute("data-v") : "";
      var y = b.cells[col] ? b.cells[col].getAttribute("data-v") : "";
      var nx = parseFloat(x), ny = parseFloat(y);
      var bothNum = !isNaN(nx) && !isNaN(ny) && /^-?[0-9.eE+-]+$/.test(x) && /^-?[0-9.eE+-]+$/.test(y);
      if (bothNum) return (nx - ny) * dir;
      if (x === "" && y !== "") return 1;
      if (y === "" && x !== "") return -1;
      return x.localeCompare(y) * dir;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.setAttribute("tabindex", "0");
      th.addEventListener("click", function () { sortBy(table, col, th); });
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sortBy(table, col, th); });
    });
  });

  // The step-through.
  var data = document.getElementById("steps-data");
  if (!data) return;
  var s = JSON.parse(data.textContent);
  var steps = s.steps || [];
  if (steps.length === 0) return;
  var stepper = document.getElementById("stepper");
  stepper.hidden = false;
  var names = s.goroutines || [];
  var maps = s.maps || [];
  // Lanes for the goroutines that took a listed step, in order of first appearance.
  var lanes = [];
  steps.forEach(function (st) { if (lanes.indexOf(st.goroutine) < 0) lanes.push(st.goroutine); });
  var laneBox = document.getElementById("lanes");
  var laneCells = {};
  lanes.forEach(function (g) {
    var n = document.createElement("div");
    n.className = "lane-name";
    n.textContent = names[g] || ("g" + g);
    var c = document.createElement("div");
    c.className = "lane";
    laneBox.appendChild(n);
    laneBox.appendChild(c);
    laneCells[g] = c;
  });
  var others = names.length - lanes.length;
  if (others > 0) {
    var note = document.createElement("div");
    note.className = "note";
    note.style.gridColumn = "1 / 3";
    note.textContent = others + " other goroutine" + (others === 1 ? "" : "s") + " took no listed step.";
    laneBox.appendChild(note);
  }
  var detail = document.getElementById("detail");
  var position = document.getElementById("position");
  var rows = document.querySelectorAll("#steptable tbody tr");
  var current = 0;

  function fmtNs(ns) {
    if (ns >= 1e9) return (ns / 1e9).toFixed(3) + " s";
    if (ns >= 1e6) return (ns / 1e6).toFixed(3) + " ms";
    if (ns >= 1e3) return (ns / 1e3).toFixed(2) + " µs";
    return ns + " ns";
  }
  function add(k, v, cls) {
    var a = document.createElement("div");
    a.className = "k";
    a.textContent = k;
    var b = document.createElement("div");
    if (cls) b.className = cls;
    b.textContent = v;
    detail.appendChild(a);
    detail.appendChild(b);
  }
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");
  function show(i, keepAddress) {
    current = Math.max(0, Math.min(steps.length - 1, i));
    prev.disabled = current === 0;
    next.disabled = current === steps.length - 1;
    var st = steps[current];
    position.textContent = "step " + st.i + " (" + (current + 1) + " of " + steps.length + " listed)";
    // Each lane shows the goroutine's latest step up to this one.
    var last = {};
    for (var j = 0; j <= current; j++) last[steps[j].goroutine] = steps[j];
    lanes.forEach(function (g) {
      var c = laneCells[g];
      var l = last[g];
      c.className = "lane";
      c.textContent = l ? (l.step + (l.map !== null && maps[l.map] ? " · " + maps[l.map].name : "")) : (s.total_steps === steps.length ? "not started yet" : "no listed step yet");
      if (g === st.goroutine) {
        c.className = st.marks.some(function (m) { return m.indexOf("fatal error") === 0; }) ? "lane died" : "lane running";
      }
    });
    detail.textContent = "";
    add("time", fmtNs(st.t_ns) + " on P" + st.p);
    add("goroutine", names[st.goroutine] || ("g" + st.goroutine));
    add("step", st.step);
    if (st.file) add("Go source", st.file + ": " + st.function);
    add("statement", st.code, "code");
    if (st.slice !== undefined && st.slice !== null && s.slices) add("slice", s.slices[st.slice]);
    if (st.map !== null && maps[st.map]) {
      var m = maps[st.map];
      var before = st.flag_before ? 1 : 0, after = st.flag_after ? 1 : 0;
      add(m.flag + " (" + m.name + ")", before + " → " + after, "flag" + (after ? " on" : ""));
      if (st.home !== null) add("key's " + m.home, String(st.home));
    }
    if (st.marks.length) add("what happens", st.marks.join("; "), "mark");
    Array.prototype.forEach.call(rows, function (r, k) { r.classList.toggle("current", k === current); });
    document.body.setAttribute("data-step", String(st.i));
    // The address names the step shown, to bookmark or share it.
    if (!keepAddress && history.replaceState && location.hash !== "#selftest") {
      history.replaceState(null, "", "#step=" + st.i);
    }
  }
  // The listed step numbered n, or the first listed after it.
  function indexOfStep(n) {
    for (var k = 0; k < steps.length; k++) if (steps[k].i >= n) return k;
    return steps.length - 1;
  }
  prev.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  Array.prototype.forEach.call(rows, function (r, k) { r.addEventListener("click", function () { show(k); }); });
  // The keys move the step-through while it is on screen; elsewhere they scroll as usual.
  function onScreen() {
    var r = stepper.getBoundingClientRect();
    return r.bottom > 0 && r.top < (window.innerHeight || document.documentElement.clientHeight);
  }
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    if (e.target && /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(e.target.tagName) && e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    if (!onScreen()) return;
    if (e.key === "ArrowRight") { show(current + 1); e.preventDefault(); }
    else if (e.key === "ArrowLeft") { show(current - 1); e.preventDefault(); }
    else if (e.key === "Home") { show(0); e.preventDefault(); }
    else if (e.key === "End") { show(steps.length - 1); e.preventDefault(); }
  });
  function fromHash() {
    var m = /step=(\d+)/.exec(location.hash);
    show(m ? indexOfStep(parseInt(m[1], 10)) : 0, true);
  }
  window.addEventListener("hashchange", fromHash);
  // #step=N opens the page at step N; #selftest presses → once, for the browser test.
  fromHash();
  if (location.hash === "#selftest") {
    document.body.setAttribute("data-first-step", String(steps[current].i));
    stepper.scrollIntoView();
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
  }
})();

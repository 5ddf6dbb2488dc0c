// Loa panel, /schedule/week: place sessions on the grid by their time, open the editor for a
// new or an existing session, and reorder a session's bulletins by drag and drop or keyboard.
// Plain script, no framework; the forms it fills are ordinary POST forms (CSRF token included).
"use strict";

(function () {
  var PX_PER_MIN = 1;  // keep in step with .week-hours .hour { height: 60px } in style.css
  var grid = document.getElementById("week-grid");
  var dialog = document.getElementById("session-editor");
  if (!grid || !dialog) { return; }
  var first = parseInt(grid.dataset.firstHour, 10) * 60;
  var total = parseInt(grid.dataset.hours, 10) * 60;
  var canEdit = grid.dataset.canEdit === "1";
  var canOrder = grid.dataset.canOrder === "1";
  var form = document.getElementById("session-form");
  var orderList = document.getElementById("order-list");
  var orderForm = document.getElementById("order-form");
  var dragged = null;

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(min) { return pad(Math.floor(min / 60)) + ":" + pad(min % 60); }
  function dmy(iso) { var p = iso.split("-"); return p[2] + "/" + p[1] + "/" + p[0]; }

  function layout() {
    grid.classList.add("placed");
    grid.querySelectorAll(".week-body").forEach(function (body) { body.style.height = (total * PX_PER_MIN) + "px"; });
    grid.querySelectorAll(".session-block").forEach(function (b) {
      var start = parseInt(b.dataset.startMin, 10) - first;
      b.style.top = (start * PX_PER_MIN) + "px";
      b.style.height = Math.max(18, parseInt(b.dataset.minutes, 10) * PX_PER_MIN) + "px";
    });
  }

  function setDays(digits) {
    dialog.querySelectorAll('input[name="weekday"]').forEach(function (box) {
      box.checked = digits.indexOf(box.value) >= 0;
    });
  }

  function openEditor(col, block, startMin) {
    var day = col.dataset.day;
    document.getElementById("editor-where").textContent = col.getAttribute("aria-label");
    document.getElementById("editor-items-day").textContent = dmy(day);
    if (form) {
      var del = document.getElementById("editor-delete");
      var oneOff = document.getElementById("editor-one-off");
      var only = document.getElementById("editor-only-date");
      if (block) {
        form.action = block.dataset.updateUrl;
        form.start.value = block.dataset.start;
        form.end.value = block.dataset.end;
        form.name.value = block.dataset.name;
        setDays(block.dataset.weekdays);
        oneOff.checked = !!block.dataset.onDate;
        del.hidden = false;
      } else {
        form.action = col.dataset.addUrl;
        form.start.value = clock(startMin);
        form.end.value = clock(Math.min(startMin + 30, 24 * 60 - 1));
        form.name.value = "";
        setDays(col.dataset.weekday);
        oneOff.checked = false;
        del.hidden = true;
      }
      only.value = block && block.dataset.onDate ? block.dataset.onDate : dmy(day);
      only.disabled = !oneOff.checked;
      oneOff.onchange = function () { only.disabled = !oneOff.checked; };
    }
    fillItems(col, block);
    dialog.showModal();
    var focus = form ? form.start : document.getElementById("editor-close");
    focus.focus();
  }

  function fillItems(col, block) {
    orderList.textContent = "";
    var items = block ? block.nextElementSibling.querySelectorAll("li") : [];
    document.getElementById("editor-items").hidden = !block;
    document.getElementById("editor-items-empty").hidden = items.length > 0;
    var movable = 0;
    items.forEach(function (src) {
      var li = document.createElement("li");
      li.textContent = src.textContent;
      li.dataset.bulletinId = src.dataset.bulletinId;
      li.dataset.kind = src.dataset.kind;
      if (canOrder && src.dataset.kind === "bulletin" && src.dataset.bulletinId) {
        movable += 1;
        li.draggable = true;
        li.tabIndex = 0;
        li.classList.add("movable");
        li.appendChild(document.getElementById("order-buttons").content.cloneNode(true));
      }
      orderList.appendChild(li);
    });
    if (orderForm) {
      orderForm.action = col.dataset.orderUrl;
      orderForm.hidden = movable < 2;
    }
  }

  function move(li, step) {
    var items = Array.prototype.filter.call(orderList.children, function (x) { return x.classList.contains("movable"); });
    var i = items.indexOf(li);
    var j = i + step;
    if (i < 0 || j < 0 || j >= items.length) { return; }
    if (step < 0) { orderList.insertBefore(li, items[j]); } else { orderList.insertBefore(li, items[j].nextSibling); }
    li.focus();
    li.classList.add("moved");
  }

  orderList.addEventListener("click", function (ev) {
    var button = ev.target.closest("button");
    if (!button) { return; }
    move(button.closest("li"), button.classList.contains("up") ? -1 : 1);
    button.focus();
  });
  orderList.addEventListener("keydown", function (ev) {
    var li = ev.target.closest("li.movable");
    if (!li || ev.target !== li || !(ev.altKey || ev.ctrlKey)) { return; }
    if (ev.key === "ArrowUp") { ev.preventDefault(); move(li, -1); }
    if (ev.key === "ArrowDown") { ev.preventDefault(); move(li, 1); }
  });
  orderList.addEventListener("dragstart", function (ev) {
    dragged = ev.target.closest("li.movable");
    if (!dragged) { return; }
    dragged.classList.add("dragging");
    ev.dataTransfer.effectAllowed = "move";
    ev.dataTransfer.setData("text/plain", dragged.dataset.bulletinId);
  });
  orderList.addEventListener("dragover", function (ev) {
    var over = ev.target.closest("li.movable");
    if (!dragged || !over || over === dragged) { return; }
    ev.preventDefault();
    var rect = over.getBoundingClientRect();
    var after = ev.clientY > rect.top + rect.height / 2;
    orderList.insertBefore(dragged, after ? over.nextSibling : over);
  });
  orderList.addEventListener("drop", function (ev) { ev.preventDefault(); });
  orderList.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("dragging"); dragged.classList.add("moved"); }
    dragged = null;
  });

  if (orderForm) {
    orderForm.addEventListener("submit", function () {
      orderForm.querySelectorAll('input[name="bulletin_id"]').forEach(function (x) { x.remove(); });
      orderList.querySelectorAll("li.movable").forEach(function (li) {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = "bulletin_id";
        input.value = li.dataset.bulletinId;
        orderForm.appendChild(input);
      });
    });
  }

  // Drag a session up or down to move it (5-minute steps); the editor opens with the new times,
  // and nothing changes until "Lưu phiên phát". The editor itself is the keyboard way.
  var moving = null;
  var justMoved = false;
  grid.addEventListener("pointerdown", function (ev) {
    var block = ev.target.closest(".session-block");
    if (!canEdit || !block || !grid.classList.contains("placed") || ev.button !== 0) { return; }
    moving = {block: block, y: ev.clientY, top: parseFloat(block.style.top) || 0, delta: 0, active: false};
  });
  grid.addEventListener("pointermove", function (ev) {
    if (!moving) { return; }
    var dy = ev.clientY - moving.y;
    if (!moving.active && Math.abs(dy) < 6) { return; }
    if (!moving.active) { moving.block.setPointerCapture(ev.pointerId); }
    moving.active = true;
    var start = parseInt(moving.block.dataset.startMin, 10);
    var minutes = parseInt(moving.block.dataset.minutes, 10);
    var delta = Math.round(dy / PX_PER_MIN / 5) * 5;
    delta = Math.max(-start, Math.min(delta, 24 * 60 - start - minutes));
    moving.delta = delta;
    moving.block.style.top = (moving.top + delta * PX_PER_MIN) + "px";
    moving.block.classList.add("dragging");
  });
  grid.addEventListener("pointerup", function () {
    if (!moving) { return; }
    var m = moving;
    moving = null;
    if (!m.active) { return; }
    justMoved = true;
    m.block.classList.remove("dragging");
    m.block.style.top = m.top + "px";
    if (m.delta === 0) { return; }
    var start = parseInt(m.block.dataset.startMin, 10) + m.delta;
    openEditor(m.block.closest(".week-col"), m.block, 0);
    form.start.value = clock(start);
    form.end.value = clock(start + parseInt(m.block.dataset.minutes, 10));
  });

  grid.addEventListener("click", function (ev) {
    if (justMoved) { justMoved = false; return; }
    var col = ev.target.closest(".week-col");
    if (!col) { return; }
    var block = ev.target.closest(".session-block");
    if (block) { openEditor(col, block, 0); return; }
    if (!canEdit) { return; }
    if (ev.target.closest(".add-session")) { openEditor(col, null, 6 * 60); return; }
    var body = ev.target.closest(".week-body");
    if (!body) { return; }
    var y = ev.clientY - body.getBoundingClientRect().top;
    var minute = first + Math.round(y / PX_PER_MIN / 15) * 15;
    openEditor(col, null, Math.max(0, Math.min(minute, 24 * 60 - 15)));
  });

  layout();
})();

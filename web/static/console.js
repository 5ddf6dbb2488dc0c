// Loa operator console: the dashboard refreshes its live part by itself.
// No framework; one small fetch every few seconds.
"use strict";

function setupRefresh() {
  var live = document.getElementById("live");
  if (!live) { return; }
  var every = Math.max(2, parseFloat(live.dataset.every || "15")) * 1000;
  function refresh() {
    fetch(live.dataset.url, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) { live.innerHTML = html; live.classList.remove("stale"); })
      .catch(function () { live.classList.add("stale"); })
      .finally(function () { window.setTimeout(refresh, every); });
  }
  window.setTimeout(refresh, every);
}

setupRefresh();

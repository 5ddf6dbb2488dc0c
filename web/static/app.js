// Loa panel: the only script. Two jobs: show the "what will be read" text for the text being
// typed, and run an audio preview in the background with a progress bar, then show a player.
"use strict";

function csrfToken() {
  var input = document.querySelector('input[name="csrf_token"]');
  return input ? input.value : "";
}

function postJSON(url, body) {
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken(), "Accept": "application/json"},
    body: JSON.stringify(body || {})
  }).then(function (r) {
    return r.json().then(function (data) { return {ok: r.ok, data: data}; });
  });
}

function setupNormalize() {
  var button = document.getElementById("normalize");
  var out = document.getElementById("normalized");
  var body = document.getElementById("body");
  if (!button || !out || !body) { return; }
  button.addEventListener("click", function () {
    button.disabled = true;
    postJSON(button.dataset.url, {text: body.value}).then(function (res) {
      out.textContent = res.ok ? res.data.normalized : res.data.error;
      out.classList.toggle("errors", !res.ok);
    }).catch(function () {
      out.textContent = "⚠";
    }).finally(function () { button.disabled = false; });
  });
}

function setupPreview() {
  var box = document.getElementById("preview");
  if (!box) { return; }
  var button = box.querySelector('[data-action="preview"]');
  var bar = box.querySelector("progress");
  var status = box.querySelector(".preview-status");
  var player = box.querySelector(".player");
  var form = document.getElementById("bulletin-form");
  var dirty = false;
  if (form) {
    form.addEventListener("input", function () {
      dirty = true;
      status.textContent = box.dataset.msgDirty;
    });
  }

  function showAudio(url) {
    player.textContent = "";
    var audio = document.createElement("audio");
    audio.controls = true;
    audio.preload = "metadata";
    audio.src = url;
    player.appendChild(audio);
  }

  function poll(url) {
    bar.hidden = false;
    button.disabled = true;
    status.textContent = box.dataset.msgRunning;
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (job) {
        bar.value = job.progress || 0;
        if (job.state === "done") {
          bar.hidden = true;
          button.disabled = false;
          status.textContent = box.dataset.msgDone;
          if (job.audio_url) { showAudio(job.audio_url); }
        } else if (job.state === "failed" || job.error) {
          bar.hidden = true;
          button.disabled = false;
          status.textContent = box.dataset.msgFailed + " " + (job.error || "");
          status.classList.add("errors");
        } else {
          window.setTimeout(function () { poll(url); }, 500);
        }
      })
      .catch(function () { window.setTimeout(function () { poll(url); }, 2000); });
  }

  button.addEventListener("click", function () {
    if (dirty) { status.textContent = box.dataset.msgDirty; return; }
    status.classList.remove("errors");
    postJSON(box.dataset.startUrl).then(function (res) {
      if (res.ok) { poll(res.data.status_url); }
      else { status.textContent = box.dataset.msgFailed + " " + (res.data.error || ""); }
    });
  });
  if (box.dataset.jobUrl) { poll(box.dataset.jobUrl); }
}

document.addEventListener("DOMContentLoaded", function () {
  setupNormalize();
  setupPreview();
});

// "nghe thử": ask for the short sample of the chosen voice (rendered once, then cached), then play
// it; a voice that cannot speak answers with a JSON message, shown beside the button.
function setupVoiceSamples() {
  document.querySelectorAll("[data-action='voice-sample']").forEach(function (button) {
    var box = button.closest(".voice-picker");
    var audio = box.querySelector("[data-voice-sample]");
    var status = box.querySelector(".voice-sample-status");
    button.addEventListener("click", function () {
      var select = box.querySelector("[data-voice-select]");
      var voice = button.dataset.voice || (select ? select.value : "");
      var url = button.dataset.sampleUrl + "?voice=" + encodeURIComponent(voice);
      status.textContent = "…";
      status.classList.remove("errors");
      button.disabled = true;
      fetch(url, { credentials: "same-origin" })
        .then(function (res) {
          if (res.ok) { return { ok: true }; }
          return res.json().then(function (d) { return { ok: false, error: d.error || res.statusText }; },
                                 function () { return { ok: false, error: res.statusText }; });
        })
        .then(function (r) {
          button.disabled = false;
          if (r.ok) {
            status.textContent = "";
            audio.src = url;  // rendered once, now a lookup in the media store
            audio.hidden = false;
            audio.play();
          } else {
            status.textContent = r.error;
            status.classList.add("errors");
          }
        })
        .catch(function () { button.disabled = false; status.textContent = "?"; });
    });
  });
}

document.addEventListener("DOMContentLoaded", setupVoiceSamples);

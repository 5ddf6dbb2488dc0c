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

// Ask for a background job's status until it is done or failed: progress(fraction) each time,
// then done(job) or failed(error). The preview and a version's render both show theirs with it.
function pollJob(url, progress, done, failed) {
  function again(delay) { window.setTimeout(function () { pollJob(url, progress, done, failed); }, delay); }
  fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
    .then(function (r) { return r.json(); })
    .then(function (job) {
      progress(job.progress || 0);
      if (job.state === "done") { done(job); }
      else if (job.state === "failed" || job.error) { failed(job.error || ""); }
      else { again(500); }
    })
    .catch(function () { again(2000); });
}

// A version in another language being rendered: its progress, then the page again (its duration).
function setupVersionJob() {
  var box = document.querySelector("[data-version-job-url]");
  if (!box) { return; }
  var bar = box.querySelector("progress");
  var status = box.querySelector("[role=status]");
  pollJob(box.dataset.versionJobUrl, function (fraction) { bar.value = fraction; },
    function () { window.location.replace(box.dataset.doneUrl); },
    function (error) {
      bar.hidden = true;
      status.textContent = box.dataset.msgFailed + " " + error;
      status.classList.add("errors");
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
    pollJob(url, function (fraction) { bar.value = fraction; }, function (job) {
      bar.hidden = true;
      button.disabled = false;
      status.textContent = box.dataset.msgDone;
      if (job.audio_url) { showAudio(job.audio_url); }
    }, function (error) {
      bar.hidden = true;
      button.disabled = false;
      status.textContent = box.dataset.msgFailed + " " + error;
      status.classList.add("errors");
    });
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
  setupVersionJob();
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

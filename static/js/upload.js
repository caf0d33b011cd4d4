// Uploads: drag and drop onto the integration page, upload progress, then validation progress
// polled from the submission's status endpoint. Without JavaScript the form posts normally.
"use strict";

(() => {
  const POLL_MS = 1000;

  function poll(url, onUpdate) {
    const tick = () => {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
        .then((data) => {
          onUpdate(data);
          if (!data.finished) window.setTimeout(tick, POLL_MS);
        })
        .catch(() => window.setTimeout(tick, POLL_MS * 5));
    };
    tick();
  }

  function item(list, name) {
    const li = document.createElement("li");
    const label = document.createElement("span");
    label.className = "upload-name";
    label.textContent = name;
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    const state = document.createElement("span");
    state.className = "upload-state muted";
    li.append(label, " ", bar, " ", state);
    list.append(li);
    return { li, label, bar, state };
  }

  // The "recent submissions" table under the form, drawn again from the page itself once a
  // file is received and once it is finished (issue 18.8): no reload needed to see it.
  function refreshRecent() {
    const here = document.querySelector("[data-recent]");
    if (!here) return;
    fetch(window.location.href, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
      .then((html) => {
        const fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-recent]");
        if (fresh) here.replaceWith(document.adoptNode(fresh));
      })
      .catch(() => {});
  }

  function follow(entry, submission) {
    const link = document.createElement("a");
    link.href = submission.url;
    link.textContent = submission.name;
    entry.label.replaceChildren(link);
    poll(submission.status_url, (data) => {
      entry.bar.value = data.progress;
      entry.state.textContent = data.verdict_label || data.status_label;
      if (data.finished) {
        entry.li.classList.add(data.verdict === "rejected" ? "rejected" : "done");
        refreshRecent();
      }
    });
    refreshRecent();
  }

  function rejected(list, text) {
    const entry = item(list, text);
    entry.bar.remove();
    entry.li.classList.add("rejected");
    return entry;
  }

  // Checked before sending where the browser can: no file, or more than the server takes.
  function refusal(form, files) {
    if (!files.length) return form.dataset.msgNone;
    const max = Number(form.dataset.maxFiles || 0);
    if (max && files.length > max) return form.dataset.msgTooMany;
    return null;
  }

  function send(form, files) {
    const list = form.querySelector("[data-upload-list]");
    const problem = refusal(form, files);
    if (problem) {
      rejected(list, problem);
      return;
    }
    const body = new FormData(form);
    body.delete("files");
    // The one-time token guards the plain form post; here each send is its own action.
    body.delete("_once");
    const names = [];
    for (const file of files) {
      body.append("files", file, file.name);
      names.push(file.name);
    }
    const sending = item(list, names.join(", "));
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) sending.bar.value = (event.loaded * 100) / event.total;
    });
    request.addEventListener("load", () => {
      sending.li.remove();
      let data = null;
      try {
        data = JSON.parse(request.responseText);
      } catch (e) {
        /* not an answer of the upload view: below */
      }
      if (!data || !Array.isArray(data.errors)) {
        // A redirect followed to the sign-in page (a 200 of HTML) or a proxy's error page.
        const signedOut = request.responseURL && request.responseURL.includes("/login/");
        data = { submissions: [], errors: [signedOut ? form.dataset.msgSignedOut : form.dataset.msgFailed] };
      }
      for (const submission of data.submissions || []) follow(item(list, submission.name), submission);
      for (const error of data.errors) rejected(list, error);
      if (request.status === 401 && data.login_url) {
        const link = document.createElement("a");
        link.href = data.login_url + "?next=" + encodeURIComponent(window.location.pathname);
        link.textContent = form.dataset.signIn || data.login_url;
        list.lastElementChild.append(" ", link);
      }
    });
    request.addEventListener("error", () => {
      sending.li.remove();
      rejected(list, form.dataset.msgFailed);
    });
    request.send(body);
  }

  function enhance(form) {
    const zone = form.querySelector("[data-dropzone]");
    const input = form.querySelector("input[type=file]");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      send(form, input.files);
      input.value = "";
    });
    for (const name of ["dragenter", "dragover"]) {
      zone.addEventListener(name, (event) => {
        event.preventDefault();
        zone.classList.add("over");
      });
    }
    for (const name of ["dragleave", "drop"]) {
      zone.addEventListener(name, () => zone.classList.remove("over"));
    }
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      send(form, event.dataTransfer.files);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const form of document.querySelectorAll("[data-upload-form]")) enhance(form);
    for (const bar of document.querySelectorAll("progress[data-status-url]")) {
      poll(bar.dataset.statusUrl, (data) => {
        bar.value = data.progress;
        if (data.finished && bar.hasAttribute("data-reload")) window.location.reload();
      });
    }
  });
})();

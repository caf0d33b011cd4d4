// Behaviour of the console's pages. No inline scripts: the CSP allows only files from 'self'.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  // The header checkbox of a selectable list ticks every row of the page.
  for (const all of document.querySelectorAll("input[data-select-page]")) {
    all.addEventListener("change", () => {
      const name = all.dataset.selectPage;
      for (const box of document.querySelectorAll(`input[type=checkbox][name="${name}"]`)) {
        box.checked = all.checked;
      }
    });
  }
  // One action, one effect: a form that changes something is sent once; its buttons are
  // disabled once it is on its way (the server also refuses its one-time token a second time).
  for (const form of document.querySelectorAll("form[method=post]:not([data-upload-form])")) {
    form.addEventListener("submit", (event) => {
      if (form.dataset.sent) {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
      window.setTimeout(() => {
        for (const button of form.querySelectorAll("button, input[type=submit]")) {
          button.disabled = true;
        }
      }, 0);
    });
  }
  // The error queue's bulk form: select every item of the page, show how many are chosen and
  // only the field the chosen action needs (every field works without JavaScript too).
  for (const form of document.querySelectorAll("form[data-bulk-form]")) {
    const boxes = () => document.querySelectorAll(`input[data-bulk-item][form="${form.id}"]`);
    const all = form.querySelector("[data-select-all]");
    const count = form.querySelector("[data-selected-count]");
    const action = form.querySelector("select[name=action]");
    // "Select all N matching" (as Sentry and Gmail offer it) once the whole page is ticked.
    const matching = form.querySelector("[data-select-matching]");
    const matchingBox = matching && matching.querySelector("input[name=all_matching]");
    const update = () => {
      const chosen = [...boxes()].filter((box) => box.checked).length;
      if (count) count.textContent = chosen ? `${chosen} ${form.dataset.selectedWord || "✓"}` : "";
      const whole = chosen > 0 && chosen === boxes().length;
      if (all) {
        all.checked = whole;
        all.indeterminate = chosen > 0 && chosen < boxes().length;
      }
      if (matching) {
        matching.hidden = !whole;
        if (!whole) matchingBox.checked = false;
      }
    };
    if (all) {
      all.addEventListener("change", () => {
        for (const box of boxes()) box.checked = all.checked;
        update();
      });
    }
    for (const box of boxes()) box.addEventListener("change", update);
    const showFields = () => {
      for (const field of form.querySelectorAll("[data-bulk-for]")) {
        field.hidden = field.dataset.bulkFor !== action.value;
      }
    };
    if (action) {
      action.addEventListener("change", showFields);
      showFields();
    }
    update();
  }
  for (const button of document.querySelectorAll("[data-confirm]")) {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  }
  // A form that changes something is sent once: a second click does nothing (the server
  // refuses a repeated save as well).
  for (const form of document.querySelectorAll("form[data-once]")) {
    form.addEventListener("submit", (event) => {
      if (form.dataset.sent) {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
      for (const button of form.querySelectorAll("button[type=submit]")) {
        button.setAttribute("aria-disabled", "true");
      }
    });
  }
});

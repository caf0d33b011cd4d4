// The reachability target form shows only the fields of the chosen kind (issue 18.13).
// Without JavaScript every field shows and the server says which ones do not apply.
// A hidden field is also disabled, so a value typed before the kind changed is not sent.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-target-form]")) {
    const kind = form.querySelector("select[name=kind]");
    if (!kind) continue;
    const apply = () => {
      for (const field of form.querySelectorAll("[data-kind-fields]")) {
        const shown = field.dataset.kindFields.split(" ").includes(kind.value);
        field.hidden = !shown;
        for (const input of field.querySelectorAll("input, select, textarea")) {
          input.disabled = !shown;
        }
      }
      for (const hint of form.querySelectorAll("[data-kind-hint]")) {
        hint.hidden = hint.dataset.kindHint !== kind.value;
      }
    };
    kind.addEventListener("change", apply);
    apply();
  }
});

// kb serve: small enhancements; every page works without this file.
"use strict";
// the cited span: centred in view once the page has laid out (the #cited fragment alone puts it
// at the top of the window, which works without script too)
window.addEventListener("load", () => {
  const cited = document.getElementById("cited");
  if (cited) (cited.nextElementSibling || cited).scrollIntoView({ block: "center" });
});
document.addEventListener("DOMContentLoaded", () => {
  // the cited span: centred in view (the #cited fragment already scrolls there without script)
  // copy buttons: data-copy names the element whose text is copied
  for (const button of document.querySelectorAll("button.copy[data-copy]")) {
    button.addEventListener("click", async (event) => {
      event.preventDefault();
      const source = document.getElementById(button.dataset.copy);
      if (!source) return;
      try {
        await navigator.clipboard.writeText(source.textContent);
        button.textContent = "Copied";
      } catch (err) {
        const range = document.createRange();
        range.selectNodeContents(source);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        button.textContent = "Selected: press Ctrl+C";
      }
      setTimeout(() => { button.textContent = "Copy"; }, 2000);
    });
  }
  // the statistics table: one box selects every row
  for (const all of document.querySelectorAll("input.select-all")) {
    all.addEventListener("change", () => {
      const table = all.closest("table");
      for (const box of table.querySelectorAll("tbody input[type=checkbox]")) box.checked = all.checked;
    });
  }
});

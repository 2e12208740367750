/* GOV.UK's error summary: when a form comes back refused, the summary at the top of the page
   takes the focus, so a reader (and a screen reader) meets every problem first; each of its
   links takes the reader to the field it names: the folded panel holding the field opens, the
   field's label scrolls into view and the field gets the focus, ready to type. Without
   JavaScript the links still jump to each field. */
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary");
  if (!summary) {
    return;
  }
  summary.focus();

  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) {
      return;
    }
    var target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!target) {
      return;
    }
    event.preventDefault();
    var panel = target.closest("details");
    if (panel) {
      panel.open = true;
    }
    var label = document.querySelector("label[for='" + target.id + "']");
    var legend = target.closest("fieldset") && target.closest("fieldset").querySelector("legend");
    (legend || label || target).scrollIntoView({ block: "start" });
    target.focus({ preventScroll: true });
  });
})();

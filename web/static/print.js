/* The receipt's print button: the browser's print dialog, for a slip on half an A4 sheet.
   Without JavaScript the button stays hidden and Ctrl+P prints the same page. */
(function () {
  "use strict";
  var buttons = document.querySelectorAll("[data-print]");
  Array.prototype.forEach.call(buttons, function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();

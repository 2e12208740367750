/* The receipt's QR code opens /status#n=<number>&c=<code>. The fragment never reaches the
   server or a Referer header; this script moves it into the lookup form and sends the form as a
   POST, after taking it out of the address bar and the history. Without JavaScript the form is
   simply shown and the code is typed from the receipt. */
(function () {
  "use strict";
  var fragment = window.location.hash.replace(/^#/, "");
  if (!fragment) {
    return;
  }
  var params = new URLSearchParams(fragment);
  var number = params.get("n");
  var code = params.get("c");
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  var form = document.getElementById("status-form");
  if (!form || !number || !code) {
    return;
  }
  form.elements.number.value = number;
  form.elements.code.value = code;
  form.submit();
})();

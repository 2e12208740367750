/* A screen that reloads itself: the waiting-room board and the demo's outbox. The element with
   data-refresh-seconds says how often. It replaces <meta http-equiv="refresh">, which reloads
   without warning and cannot be stopped (WCAG 2.2.1). Here a reload waits while the tab is
   hidden, and checks first that the server answers, so a screen never stays stuck on a browser
   error page after a network hiccup: it keeps the last numbers and tries again. Without
   JavaScript the page shows when it was updated and a link to reload it. */
(function () {
  "use strict";
  var holder = document.querySelector("[data-refresh-seconds]");
  var seconds = holder ? parseInt(holder.getAttribute("data-refresh-seconds"), 10) : NaN;
  if (!(seconds > 0)) {
    return;
  }
  var delay = Math.max(seconds, 5) * 1000;

  function later() {
    window.setTimeout(reload, delay);
  }

  function reload() {
    if (document.hidden) {
      document.addEventListener("visibilitychange", function shown() {
        if (!document.hidden) {
          document.removeEventListener("visibilitychange", shown);
          reload();
        }
      });
      return;
    }
    if (!window.fetch) {
      window.location.reload();
      return;
    }
    window
      .fetch(window.location.href, { method: "HEAD", cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.ok) {
          window.location.reload();
        } else {
          later();
        }
      })
      .catch(later);
  }

  later();
})();

// Follows a batch run while it works: every few seconds the page is fetched again and the run's
// region (an aria-live region) is replaced, until the run is done or failed. Without JavaScript the
// page offers a link to update it by hand.
(function () {
  "use strict";
  var region = document.getElementById("koersel");
  if (!region || region.getAttribute("data-live") !== "ja") { return; }
  var interval = 3000;
  function refresh() {
    fetch(window.location.pathname, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("koersel");
        if (!fresh) { return; }
        region.innerHTML = fresh.innerHTML;
        region.setAttribute("data-live", fresh.getAttribute("data-live"));
        if (fresh.getAttribute("data-live") === "ja") { window.setTimeout(refresh, interval); }
      })
      .catch(function () { window.setTimeout(refresh, interval * 2); });
  }
  window.setTimeout(refresh, interval);
})();

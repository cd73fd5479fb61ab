// What the account pages share: the token of the link, taken out of the
// address bar and the history at once (so it is in no bookmark, no history
// entry and no Referer), and the outcome line.
(function () {
  "use strict";
  window.accountPage = {
    // The link's token ("" when the link has none).
    takeToken: function () {
      var token = new URLSearchParams(window.location.search).get("token") || "";
      window.history.replaceState(null, "", window.location.pathname);
      return token;
    },
    // Shows `text` in the outcome line, styled as `kind`.
    show: function (text, kind) {
      var outcome = document.getElementById("outcome");
      outcome.textContent = text;
      outcome.className = kind;
      outcome.hidden = false;
    },
    // A POST of `body` as JSON to this origin, with no credentials and no Referer.
    post: function (path, body) {
      return fetch(path, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify(body),
        credentials: "omit",
        referrerPolicy: "no-referrer"
      });
    },
    unreachable: "The service could not be reached. Check your connection and try again.",
    noToken: "This link has no token. Open the link from the mail again, or ask for a new one.",
    deadLink: "This link is invalid, used or expired. Ask for a new one."
  };
})();

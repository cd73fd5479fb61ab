// The verification page: reads the token from the link, takes it out of the
// address bar and the history at once, and, when the person confirms, sends
// it to POST /v1/auth/verify-email. A button rather than an automatic
// request: mail scanners that open links must not use the token up.
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var token = params.get("token") || "";
  window.history.replaceState(null, "", window.location.pathname);

  var form = document.getElementById("verify-form");
  var button = document.getElementById("submit");
  var outcome = document.getElementById("outcome");

  function show(text, kind) {
    outcome.textContent = text;
    outcome.className = kind;
    outcome.hidden = false;
  }

  if (!token) {
    form.hidden = true;
    show("This link has no token. Open the link from the mail again, or ask for a new one.", "error");
    return;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    show("Confirming…", "pending");
    fetch("/v1/auth/verify-email", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ token: token }),
      credentials: "omit",
      referrerPolicy: "no-referrer"
    }).then(function (response) {
      if (response.status === 200) {
        return response.json().then(function (user) {
          form.hidden = true;
          show("Thank you: " + user.email + " is confirmed.", "success");
        });
      }
      if (response.status === 400) {
        form.hidden = true;
        show("This link is invalid, used or expired. Ask for a new one.", "error");
      } else {
        show("Something went wrong (" + response.status + "). Try again in a moment.", "error");
      }
      return null;
    }, function () {
      show("The service could not be reached. Check your connection and try again.", "error");
    }).then(function () {
      button.disabled = false;
    });
  });
})();

// The reset page: reads the token from the link, takes it out of the address
// bar and the history at once, and sends it with the new password to
// POST /v1/auth/password/reset. Nothing is sent anywhere else.
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var token = params.get("token") || "";
  window.history.replaceState(null, "", window.location.pathname);

  var form = document.getElementById("reset-form");
  var password = document.getElementById("new-password");
  var confirmation = document.getElementById("confirm-password");
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
    if (password.value.length < 8) {
      show("The password needs at least 8 characters.", "error");
      return;
    }
    if (password.value !== confirmation.value) {
      show("The two passwords differ.", "error");
      return;
    }
    button.disabled = true;
    show("Sending…", "pending");
    fetch("/v1/auth/password/reset", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ token: token, new_password: password.value }),
      credentials: "omit",
      referrerPolicy: "no-referrer"
    }).then(function (response) {
      if (response.status === 204) {
        form.hidden = true;
        show("Your password is changed. Log in with the new one; every other sign-in has ended.", "success");
        return null;
      }
      return response.json().then(function (body) {
        var error = (body && body.error) || {};
        var details = error.details && error.details.validation_errors;
        if (response.status === 400) {
          form.hidden = true;
          show("This link is invalid, used or expired. Ask for a new one.", "error");
        } else if (response.status === 422 && details && details.length) {
          show("The password was refused: " + details[0].message + ".", "error");
        } else if (response.status === 429) {
          show("Too many attempts. Try again later.", "error");
        } else {
          show("Something went wrong (" + response.status + "). Try again in a moment.", "error");
        }
      }, function () {
        show("Something went wrong (" + response.status + "). Try again in a moment.", "error");
      });
    }, function () {
      show("The service could not be reached. Check your connection and try again.", "error");
    }).then(function () {
      button.disabled = false;
    });
  });
})();

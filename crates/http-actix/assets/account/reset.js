// The reset page: sends the link's token (account.js takes it out of the
// address bar) with the new password to POST /v1/auth/password/reset.
// Nothing is sent anywhere else.
(function () {
  "use strict";
  var page = window.accountPage;
  var show = page.show;
  var token = page.takeToken();

  var form = document.getElementById("reset-form");
  var password = document.getElementById("new-password");
  var confirmation = document.getElementById("confirm-password");
  var button = document.getElementById("submit");

  if (!token) {
    form.hidden = true;
    show(page.noToken, "error");
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
    page.post("/v1/auth/password/reset", { token: token, new_password: password.value }).then(function (response) {
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
          show(page.deadLink, "error");
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
      show(page.unreachable, "error");
    }).then(function () {
      button.disabled = false;
    });
  });
})();

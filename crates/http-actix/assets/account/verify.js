// The verification page: when the person confirms, sends the link's token
// (account.js takes it out of the address bar) to POST /v1/auth/verify-email. A button rather than an automatic
// request: mail scanners that open links must not use the token up.
(function () {
  "use strict";
  var page = window.accountPage;
  var show = page.show;
  var token = page.takeToken();

  var form = document.getElementById("verify-form");
  var button = document.getElementById("submit");

  if (!token) {
    form.hidden = true;
    show(page.noToken, "error");
    return;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    show("Confirming…", "pending");
    page.post("/v1/auth/verify-email", { token: token }).then(function (response) {
      if (response.status === 200) {
        return response.json().then(function (user) {
          form.hidden = true;
          show("Thank you: " + user.email + " is confirmed.", "success");
        });
      }
      if (response.status === 400) {
        form.hidden = true;
        show(page.deadLink, "error");
      } else {
        show("Something went wrong (" + response.status + "). Try again in a moment.", "error");
      }
      return null;
    }, function () {
      show(page.unreachable, "error");
    }).then(function () {
      button.disabled = false;
    });
  });
})();

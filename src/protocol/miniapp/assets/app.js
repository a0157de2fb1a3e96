// The dashboard's script: it fetches the parts of the page with the person's initData (from
// Telegram's script) in `Authorization: tma …`, puts the server's HTML in place (escaped there),
// and sends the forms as JSON. Routes live in the hash: #/ (my challenges), #/c/ID (one).
(function () {
  "use strict";
  var tg = (window.Telegram && window.Telegram.WebApp) || null;
  var initData = tg ? tg.initData || "" : "";
  var base = location.pathname.replace(/\/+$/, "");
  var app = document.getElementById("app");
  if (tg) {
    if (tg.ready) tg.ready();
    if (tg.expand) tg.expand();
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  function call(method, path, body) {
    var options = { method: method, headers: { Authorization: "tma " + initData } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(base + path, options).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      var read = type.indexOf("json") >= 0 ? response.json() : response.text();
      return read.then(function (data) {
        if (response.ok) return data;
        var message = data && data.error ? data.error : "Something went wrong (" + response.status + ").";
        if (response.status === 401) {
          message = "This dashboard opens from the bot in Telegram; please open it again from there.";
        }
        throw new Error(message);
      });
    });
  }

  function showError(message) {
    app.innerHTML = "";
    var p = document.createElement("p");
    p.className = "empty";
    p.textContent = message;
    app.appendChild(p);
  }

  function route() {
    var match = /^#\/c\/(\d+)/.exec(location.hash);
    return match ? { challenge: match[1] } : { challenge: null };
  }

  function render(note) {
    if (!initData) {
      showError("This dashboard opens from the bot in Telegram: tap its menu button or “🗂 Open dashboard”.");
      return Promise.resolve();
    }
    var where = route();
    var path = where.challenge ? "/api/view/challenges/" + where.challenge : "/api/view/home";
    return call("GET", path)
      .then(function (html) {
        app.innerHTML = html;
        app.setAttribute("data-view", where.challenge ? "challenge" : "home");
        backButton(!!where.challenge);
        wire(note);
      })
      .catch(function (e) {
        showError(e.message);
      });
  }

  // Telegram's own back button leads from a challenge to the list (older clients have none).
  function goHome() {
    location.hash = "#/";
  }
  function backButton(shown) {
    var back = tg && tg.BackButton;
    if (!back) return;
    if (back.offClick) back.offClick(goHome);
    if (shown) {
      back.onClick(goHome);
      back.show();
    } else {
      back.hide();
    }
  }

  function say(form, message, ok) {
    var p = form.querySelector(".message");
    if (!p) return;
    p.textContent = message;
    p.className = "message " + (ok ? "ok" : "error");
  }

  function wire(note) {
    var form = document.getElementById("log-form");
    if (form) {
      var key = newKey();
      // A changed value or day is another entry: it gets a key of its own.
      form.addEventListener("input", function () {
        key = newKey();
      });
      if (note) say(form, note, true);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var button = form.querySelector("button[type=submit]");
        var body = { key: key };
        if (form.elements.value) body.value = form.elements.value.value;
        if (form.elements.date && form.elements.date.value) body.date = form.elements.date.value;
        button.disabled = true;
        call("POST", "/api/challenges/" + form.getAttribute("data-challenge") + "/progress", body)
          .then(function (result) {
            if (tg && tg.HapticFeedback) tg.HapticFeedback.notificationOccurred("success");
            return render(result.message);
          })
          .catch(function (e) {
            button.disabled = false;
            say(form, e.message, false);
          });
      });
    }
    Array.prototype.forEach.call(app.querySelectorAll("[data-delete]"), function (button) {
      button.addEventListener("click", function () {
        var id = button.getAttribute("data-delete");
        var go = function (yes) {
          if (!yes) return;
          call("DELETE", "/api/entries/" + id)
            .then(function (result) { return render(result.message); })
            .catch(function (e) { alertMessage(e.message); });
        };
        if (tg && tg.showConfirm) tg.showConfirm("Delete this entry?", go);
        else go(window.confirm("Delete this entry?"));
      });
    });
    Array.prototype.forEach.call(app.querySelectorAll("[data-edit]"), function (button) {
      button.addEventListener("click", function () { editEntry(button); });
    });
  }

  function alertMessage(message) {
    if (tg && tg.showAlert) tg.showAlert(message);
    else window.alert(message);
  }

  function editEntry(button) {
    var li = button.closest("li");
    var id = button.getAttribute("data-edit");
    var form = document.createElement("form");
    form.className = "edit";
    var fields = document.createElement("div");
    fields.className = "fields";
    var value = null;
    if (button.hasAttribute("data-value")) {
      value = document.createElement("input");
      value.name = "value";
      value.inputMode = "decimal";
      value.value = button.getAttribute("data-value");
      fields.appendChild(value);
    }
    var date = document.createElement("input");
    date.type = "date";
    date.name = "date";
    date.value = button.getAttribute("data-date");
    fields.appendChild(date);
    var save = document.createElement("button");
    save.type = "submit";
    save.textContent = "Save";
    var message = document.createElement("p");
    message.className = "message";
    form.appendChild(fields);
    form.appendChild(save);
    form.appendChild(message);
    li.innerHTML = "";
    li.appendChild(form);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = { date: date.value };
      if (value) body.value = value.value;
      save.disabled = true;
      call("PATCH", "/api/entries/" + id, body)
        .then(function (result) { return render(result.message); })
        .catch(function (e) {
          save.disabled = false;
          message.textContent = e.message;
          message.className = "message error";
        });
    });
  }

  window.addEventListener("hashchange", function () { render(); });
  render();
})();

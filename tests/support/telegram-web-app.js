// A stand-in for Telegram's telegram-web-app.js in the browser test: as the real script does,
// it reads the launch parameters Telegram puts in the address's hash (tgWebAppData,
// tgWebAppThemeParams, tgWebAppColorScheme), exposes them as window.Telegram.WebApp and sets
// the theme's colours as --tg-theme-* CSS variables on the root element. Dialogs answer "yes".
(function () {
  "use strict";
  var params = new URLSearchParams(location.hash.replace(/^#/, ""));
  var theme = {};
  try {
    theme = JSON.parse(params.get("tgWebAppThemeParams") || "{}");
  } catch (e) {
    theme = {};
  }
  var root = document.documentElement.style;
  Object.keys(theme).forEach(function (key) {
    root.setProperty("--tg-theme-" + key.replace(/_/g, "-"), theme[key]);
  });
  var scheme = params.get("tgWebAppColorScheme") || "light";
  root.setProperty("--tg-color-scheme", scheme);
  window.Telegram = {
    WebApp: {
      initData: params.get("tgWebAppData") || "",
      themeParams: theme,
      colorScheme: scheme,
      ready: function () {},
      expand: function () {},
      showConfirm: function (message, callback) { if (callback) callback(true); },
      showAlert: function (message, callback) { if (callback) callback(); },
      HapticFeedback: { notificationOccurred: function () {} },
      // Telegram's back button, drawn by the client: here a flag and the handlers.
      BackButton: {
        isVisible: false,
        handlers: [],
        show: function () { this.isVisible = true; },
        hide: function () { this.isVisible = false; },
        onClick: function (f) { this.handlers.push(f); },
        offClick: function (f) { this.handlers = this.handlers.filter(function (h) { return h !== f; }); },
        press: function () { this.handlers.forEach(function (h) { h(); }); },
      },
    },
  };
})();

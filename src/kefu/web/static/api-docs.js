/* Starts the vendored Swagger UI on /openapi.json; adds the session's CSRF token to
   every request so "Try it out" works as the signed-in person (web/api_docs.py). */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="kefu-csrf"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  window.ui = window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    requestInterceptor: function (req) {
      if (csrf) req.headers["X-CSRF-Token"] = csrf;
      req.credentials = "same-origin";
      return req;
    },
  });
})();

// /api/docs/: one Swagger UI with a description per app the visitor may read (GET /api/v1/).
(function () {
  var root = document.getElementById("swagger-ui");
  fetch(root.dataset.index, { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (index) {
      var urls = index.apps.map(function (app) { return { name: app.title, url: app.openapi }; });
      SwaggerUIBundle({
        dom_id: "#swagger-ui",
        urls: urls,
        presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
        layout: "StandaloneLayout",
        validatorUrl: null, // no badge fetched from another host
      });
    });
})();

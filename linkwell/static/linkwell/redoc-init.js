// Starts Redoc on the API documentation page (kept out of the page so no inline script runs).
const script = document.currentScript;
const settings = JSON.parse(document.getElementById("redoc-settings").textContent);
Redoc.init(script.dataset.openapiUrl, settings, document.getElementById("redoc-ui"));

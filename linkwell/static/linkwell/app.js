// Starts NHS.UK frontend's components (header menu, error summary focus, radios, ...).
import { initAll } from "../nhsuk/nhsuk-frontend.min.js";

initAll();
document.body.addEventListener("htmx:afterSettle", (event) => initAll({ scope: event.target }));

// Loaded first thing in <body>: marks the page as having JavaScript before it paints, as
// NHS.UK frontend's styles and its initAll() expect.
document.body.classList.add("js-enabled", "nhsuk-frontend-supported");

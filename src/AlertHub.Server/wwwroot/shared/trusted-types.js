// Trusted Types for both pages. The hub's Content-Security-Policy says `require-trusted-types-for 'script';
// trusted-types default`: every string that reaches innerHTML, outerHTML, insertAdjacentHTML, document.write, a script
// URL and their kin goes through this one policy first. Our own code never parses HTML (it builds DOM nodes with
// textContent, see h() in common.js); Leaflet still assigns a few fixed strings of its own. So text passes, those exact
// strings pass, same-origin script URLs (the service worker) pass, and anything else is refused: a sink someone adds
// later throws and logs a CSP violation instead of running markup a feed sent. Loaded as a classic script before the
// modules, because Leaflet feature-tests innerHTML while its module is evaluated.
(() => {
  if (!window.trustedTypes || !window.trustedTypes.createPolicy) return;
  // Leaflet 1.9: its SVG feature test, the zoom buttons and the popup close button.
  const LIBRARY_MARKUP = new Set([
    '<svg/>',
    '<span aria-hidden="true">+</span>',
    '<span aria-hidden="true">&#x2212;</span>',
    '<span aria-hidden="true">&#215;</span>',
  ]);
  window.trustedTypes.createPolicy('default', {
    // Without '<' no element or attribute can come into being; returning null refuses the assignment.
    createHTML: value => (!value.includes('<') || LIBRARY_MARKUP.has(value) ? value : null),
    createScriptURL: value => (new URL(value, window.location.href).origin === window.location.origin ? value : null),
  });
})();

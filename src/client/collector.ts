// Browser entry of the collector (built by scripts/build-client.mjs to dist/client/collector.js):
//
//   <script defer src="https://COLLECTOR/collector.js"></script>
//
// Attributes on that tag: data-endpoint="URL" (absolute, or relative to the page; default: the
// collect path on the script's own origin), data-respect-dnt (send nothing under Do Not Track or
// Global Privacy Control), data-include-localhost (also count localhost, 127/8, [::1], file:),
// data-include-automation (also count a browser driven by automation, navigator.webdriver: for
// tests), data-track-outbound, data-track-downloads (="pdf,zip" replaces the default extensions),
// data-track-forms (opt-in events, see auto-events.ts: a second file, events.ts, loaded only then).
// localStorage.beacon_ignore = 'true' in a browser stops everything there (a site owner's own visits).
//
// Custom events: window.beacon(name, props). Calls made before the script has loaded are kept by
// this stub, placed inline before the tag, and replayed in order when the script runs:
//
//   <script>window.beacon = window.beacon || function () { (window.beacon.q = window.beacon.q || []).push(arguments) }</script>
//
// The script defines no global besides window.beacon, sets no cookies and writes no storage (it only
// reads beacon_ignore), and never throws into the page.
import { start } from './start.js';

try {
  const script = document.currentScript as HTMLScriptElement | null;
  start(window, {
    // Replaced (quotes included) by JSON.stringify(COLLECT_PATH) when the server serves the file.
    collectPath: "__BEACON_COLLECT_PATH__",
    scriptSrc: script && script.src,
    attr: (name) => script && script.getAttribute('data-' + name),
  });
} catch {
  // never into the host page
}

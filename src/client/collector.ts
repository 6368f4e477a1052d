// Browser entry of the collector (built by scripts/build-client.mjs to dist/client/collector.js):
//
//   <script defer src="https://COLLECTOR/collector.js"></script>
//
// Attributes on that tag: data-endpoint="URL" (absolute, or relative to the page; default: the
// collect path on the script's own origin), data-respect-dnt (send nothing under Do Not Track or
// Global Privacy Control), data-include-localhost (also count localhost, 127/8, [::1], file:).
//
// Custom events: window.beacon(name, props). Calls made before the script has loaded are kept by
// this stub, placed inline before the tag, and replayed in order when the script runs:
//
//   <script>window.beacon = window.beacon || function () { (window.beacon.q = window.beacon.q || []).push(arguments) }</script>
//
// The script defines no global besides window.beacon, uses no cookies or storage, and never throws
// into the page.
import { start } from './start.js';

try {
  const script = document.currentScript as HTMLScriptElement | null;
  const attr = (name: string): string | null => (script ? script.getAttribute(name) : null);
  start(window, {
    // Replaced (quotes included) by JSON.stringify(COLLECT_PATH) when the server serves the file.
    path: "__BEACON_COLLECT_PATH__",
    src: script && script.src,
    endpoint: attr('data-endpoint'),
    respectDnt: attr('data-respect-dnt') != null,
    includeLocalhost: attr('data-include-localhost') != null,
  });
} catch (e) {
  // never into the host page
}

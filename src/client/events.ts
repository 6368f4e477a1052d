// Browser entry of the opt-in events (built by scripts/build-client.mjs to
// dist/client/collector-events.js, served at the script's own URL with ?events). collector.js adds
// this file to the page only when it counts the page and its tag has data-track-outbound,
// data-track-downloads or data-track-forms; those attributes are read from that tag (the first
// script tag with one), and the events go through window.beacon as a site's own would
// (auto-events.ts says which). A separate file keeps collector.js within its size budget
// (docs/collector-script.md, "Size"); sites without these attributes never load it.
import { cut } from './beacon.js';
import { trackAutoEvents } from './auto-events.js';

try {
  const tag = document.querySelector('script[data-track-outbound],script[data-track-downloads],script[data-track-forms]') as Element;
  const beacon = (window as { beacon?: (name: string, props: object) => void }).beacon as (name: string, props: object) => void;
  trackAutoEvents(window, (name) => tag.getAttribute('data-' + name), (name, url) => beacon(name, { url: cut(url, 1000) }));
} catch {
  // never into the host page
}

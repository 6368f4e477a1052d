import type { Target, Win } from './environment.js';
import { on } from './guard.js';

/** Plausible's default list, so owners moving from it count the same files. */
export const DOWNLOAD_EXTENSIONS = 'pdf,xlsx,docx,txt,rtf,csv,exe,key,pps,ppt,pptx,7z,pkg,rar,gz,zip,avi,mov,mp4,mpeg,wmv,midi,mp3,wav,wma,dmg';

/** The opt-in events, named as Plausible names them (what its users already look for), each with
 * the target's URL as props.url: "File Download" (a link whose path ends in a listed extension,
 * checked first), "Outbound Link: Click" (a link to another host name; mailto: and tel: have none),
 * "Form: Submission". Clicks include the middle button (auxclick), which opens a new tab. */
export function trackAutoEvents(w: Win, attr: (name: string) => string | null, event: (name: string, url: string) => void): void {
  const doc = w.document;
  // data-track-downloads: absent is off; empty, the default list; else its own comma-separated list.
  const downloads = attr('track-downloads');
  const exts = downloads == null ? [] : (downloads || DOWNLOAD_EXTENSIONS).toLowerCase().split(/[\s,.]+/);
  const outbound = attr('track-outbound') != null;
  const click = (e: { target: Target; button: number }): void => {
    const a = e.target.closest!('a') as Target;
    if (e.button > 1 || !a) return; // a right click opens a menu, not the link
    if (exts.indexOf(a.pathname!.split('.').pop()!.toLowerCase()) >= 0) event('File Download', a.href!);
    else if (outbound && a.hostname && a.hostname != w.location.hostname) event('Outbound Link: Click', a.href!);
  };
  on(doc, 'click', click);
  on(doc, 'auxclick', click);
  if (attr('track-forms') != null) on(doc, 'submit', (e: { target: Target }) => event('Form: Submission', e.target.action!));
}

import type { Target, Win } from './environment.js';
import { on } from './guard.js';

/** Plausible's default list, so owners moving from it count the same files. */
export const DOWNLOAD_EXTENSIONS = 'pdf,xlsx,docx,txt,rtf,csv,exe,key,pps,ppt,pptx,7z,pkg,rar,gz,zip,avi,mov,mp4,mpeg,wmv,midi,mp3,wav,wma,dmg';

export interface AutoEvents {
  /** data-track-outbound: a link to another host. */
  outbound?: boolean;
  /** data-track-downloads: null or undefined is off; '' the default list; else comma-separated extensions. */
  downloads?: string | null;
  /** data-track-forms: a form submitted. */
  forms?: boolean;
}

/** The opt-in events, named as Plausible names them (what its users already look for), each with
 * the target's URL as props.url: "File Download" (a link whose path ends in a listed extension,
 * checked first), "Outbound Link: Click" (a link to another host name; mailto: and tel: have none),
 * "Form: Submission". Clicks include the middle button (auxclick), which opens a new tab. */
export function trackAutoEvents(w: Win, o: AutoEvents, event: (name: string, url: string) => void): void {
  const doc = w.document;
  const exts = o.downloads == null ? [] : (o.downloads || DOWNLOAD_EXTENSIONS).toLowerCase().split(/[\s,.]+/);
  const click = (e: { target: Target; button: number }): void => {
    const a = e.target.closest!('a') as Target;
    if (e.button > 1 || !a) return; // a right click opens a menu, not the link
    if (exts.indexOf(a.pathname!.split('.').pop()!.toLowerCase()) >= 0) event('File Download', a.href!);
    else if (o.outbound && a.hostname && a.hostname != w.location.hostname) event('Outbound Link: Click', a.href!);
  };
  on(doc, 'click', click);
  on(doc, 'auxclick', click);
  if (o.forms) on(doc, 'submit', (e: { target: Target }) => event('Form: Submission', e.target.action!));
}

// The collector's limits, each matched to one of the server's. Kept in a module that imports
// nothing: esbuild inlines constants only from such modules, so the bundle carries the numbers.

export const MAX_BATCH = 50; // the server's limit for one array
// sendBeacon and keepalive fetch share a 64 KiB in-flight quota per page and the server takes 64 KiB
// bodies; JSON.stringify leaves non-ASCII raw (up to 3 UTF-8 bytes a char), so 20,000 chars is safe.
export const MAX_BODY_CHARS = 20000;
export const MAX_PAYLOAD_CHARS = 8192; // the server stores NULL over 8 KiB: don't ship it
export const MAX_ERRORS = 10; // per page load: a loop throwing every frame must not flood the server

// Loaded by scripts/test.mjs through NODE_OPTIONS. In tap's test processes only (tap sets
// TAP_CHILD_ID there, not in its runner), it stops tap's ts-node loader, which loads TypeScript's
// compiler into every test process (about a second of CPU each). npm test runs the JavaScript that
// scripts/test.mjs compiled into .test-js/ (no loader hooks at all: tsx's cost ~0.35 s of CPU per
// test process); a .ts test file (`npm test -- test/x.test.ts`) still gets tsx.
// Types are checked by `npm run typecheck`, not here, so nothing is lost. Without this file the
// suite runs the same, through ts-node (`npx tap`).
if (process.env.TAP_CHILD_ID !== undefined) {
  // @tapjs/typescript's loader steps aside when this is '1' (its own switch for Node's type stripping).
  process.env.TAP_TYPE_STRIP_ONLY = '1';
  // Processes the tests start (the service, scripts) inherit the environment: they get none of this.
  delete process.env.NODE_OPTIONS;
  if (/\.[cm]?tsx?$/.test(process.argv[1] ?? '')) await import('tsx/esm');
}

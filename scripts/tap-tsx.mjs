// Loaded by scripts/test.mjs through NODE_OPTIONS, before tap's own --import flags. In tap's test
// processes only (tap sets TAP_CHILD_ID there, not in its runner), it turns off the module hooks
// npm test does not need, which cost CPU in every test process:
// - tap's ts-node loader, which loads TypeScript's compiler (about a second of CPU each). npm test
//   runs the JavaScript that scripts/test.mjs compiled into .test-js/ (tsx instead cost ~0.35 s of
//   CPU per test process); a .ts test file (`npm test -- test/x.test.ts`) still gets tsx.
// - On Node 20 (no synchronous module hooks), the two loaders tap registers with module.register(),
//   which run on a loader thread that every import of the test process goes through: @tapjs/processinfo's
//   (it lists the loaded files for coverage and `tap --changed`; coverage is off, .taprc) and
//   @tapjs/mock's (only a file that calls t.mockImport needs it, and keeps it). Measured on 40 unit
//   test files, one at a time: 65-70 s of CPU instead of 86-123 s. Node >= 24.13 runs the same two
//   in-thread (module.registerHooks), still on every import: skipped the same way, the same 40
//   files on Node 24.21 took 40 s of CPU instead of 52.
// - @tapjs/processinfo's other registrations (below): its spawn hook gave every process a test
//   started (the service, its workers, scripts) processinfo's loader, whatever env the test passed.
// Types are checked by `npm run typecheck`, not here, so nothing is lost. Without this file the
// suite runs the same, through ts-node and all of tap's hooks (`npx tap`).
import module from 'node:module';
import { readFileSync } from 'node:fs';

if (process.env.TAP_CHILD_ID !== undefined) {
  // @tapjs/typescript's loader steps aside when this is '1' (its own switch for Node's type stripping).
  process.env.TAP_TYPE_STRIP_ONLY = '1';
  // Processes the tests start (the service, scripts) inherit the environment: they get none of this.
  delete process.env.NODE_OPTIONS;
  // @tapjs/processinfo (tap's --import in every test process) registers, unless this names the
  // process (its own switch to skip registration): a spawn hook that put its --import back into
  // NODE_OPTIONS of every process a test started, so each service, worker and script ran under tap's
  // module loader thread, unlike `npm start` (the deletion above alone did not stop it); a CommonJS
  // require hook that measures each module's lines; and a record written at exit. All three serve
  // coverage and `tap --changed`, which npm test does not use.
  process.env.__TAPJS_PROCESSINFO_TESTING_NO_REGISTER__ = String(process.pid);
  const file = process.argv[1] ?? '';
  const mocks = (() => {
    try {
      return readFileSync(file, 'utf8').includes('mockImport');
    } catch {
      return true;
    }
  })();
  const unneeded = (where) => where.includes('/@tapjs/processinfo/') || (!mocks && where.includes('/@tapjs/mock/'));
  // Node 20 (and 24 before 24.13): tap registers them with register(), whose first argument is the
  // loader's URL.
  const register = module.register;
  module.register = function registerUnlessUnneeded(specifier, ...rest) {
    if (unneeded(String(specifier))) return;
    return register.call(this, specifier, ...rest);
  };
  // Node 24.13 and later: in-thread with registerHooks(), which takes no URL: the caller is read from
  // the stack. In-thread hooks still run on every import (processinfo's reads each module's source).
  const registerHooks = module.registerHooks;
  if (typeof registerHooks === 'function') {
    module.registerHooks = function registerHooksUnlessUnneeded(hooks) {
      if (unneeded(new Error().stack ?? '')) return { deregister() {} };
      return registerHooks.call(this, hooks);
    };
  }
  // @tapjs/mock imports `register` by name, and a builtin's named exports keep the original function
  // until they are synced (processinfo and @tapjs/core read the default export's property, patched already).
  module.syncBuiltinESMExports();
  if (/\.[cm]?tsx?$/.test(file)) await import('tsx/esm');
}

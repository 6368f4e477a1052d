// Preloaded by bench/profile.ts (ALLOC=1): V8's sampling heap profiler, counting objects that the
// GC has already collected too (Node's --heap-prof keeps only the live ones, and a beacon's garbage
// is what costs). The first SIGWINCH (which close-with-grace leaves alone, unlike SIGUSR2) starts sampling, the second writes ALLOC_PROFILE_PATH.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const session = new Session();
session.connect();
let sampling = false;
process.on('SIGWINCH', () => {
  if (!sampling) {
    sampling = true;
    session.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    return;
  }
  session.post('HeapProfiler.stopSampling', (err, result) => {
    if (!err) writeFileSync(process.env.ALLOC_PROFILE_PATH, JSON.stringify(result.profile));
  });
});

// A/B switch for the benchmark (a diagnostic, not part of any service): preloaded into every process of a run with
// `--ab`, it sets `globalThis.__ab` to true on SIGWINCH and to false on SIGURG (signals no service uses; Nest's
// shutdown hooks take SIGTERM, SIGINT, SIGHUP and SIGUSR2). Code under test reads it in a temporary patch, e.g.
//   const parsed = (globalThis as any).__ab ? variant() : current();
// and `node bench/run.mjs --ab` measures a path `gateway-b` with it on beside `gateway` with it off, in the same
// processes and rounds. Two identical paths (A/A) differ by 0.02–0.15 ms at --rounds=8 --requests=1600 on this
// machine, where runs minutes apart differ by ±0.3 ms: repeat a run before trusting a difference under 0.1 ms.
globalThis.__ab = false;
process.on('SIGWINCH', () => {
  globalThis.__ab = true;
});
process.on('SIGURG', () => {
  globalThis.__ab = false;
});

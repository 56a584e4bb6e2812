// `npm run bench -- --soak=<minutes>`: a steady load through the gateway (half non-streaming, half streaming, paced
// to --soak-rate requests per second by --soak-concurrency clients) for that long, sampling every service's resident
// memory. It answers the standard "each service stays under 150 MB resident at steady load, and flat over a long
// run": per service the resident memory after warm-up, its peak, its last sample, and the trend of the second half
// (least squares, MB per hour), which a leak keeps positive while a service that only settles flattens out.

/** Least-squares slope of `points` ([seconds, MB]), in MB per hour; 0 for fewer than two points. */
export function slopeMbPerHour(points) {
  if (points.length < 2) return 0;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / points.length;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / points.length;
  let numerator = 0;
  let denominator = 0;
  for (const [x, y] of points) {
    numerator += (x - meanX) * (y - meanY);
    denominator += (x - meanX) ** 2;
  }
  return denominator === 0 ? 0 : (numerator / denominator) * 3600;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the load and the sampling. `send(stream)` makes one request through the gateway (throwing on a non-200);
 * `residentMb()` returns { service: MB } now. Returns the samples and a summary per service.
 */
export async function soak({ minutes, rate, concurrency, sampleSeconds = 10, send, residentMb, log = console.log }) {
  const durationMs = minutes * 60_000;
  const started = performance.now();
  const samples = [{ seconds: 0, memory: residentMb() }];
  let completed = 0;
  let failed = 0;
  let lastError;

  const sampler = setInterval(() => {
    const seconds = Math.round((performance.now() - started) / 1000);
    const memory = residentMb();
    samples.push({ seconds, memory });
    log(`  ${String(seconds).padStart(5)} s  ${completed + failed} requests (${failed} failed)  MB: ${Object.entries(memory).map(([name, mb]) => `${name} ${mb}`).join(', ')}`);
  }, sampleSeconds * 1000);

  // Each client keeps its own cadence (concurrency / rate seconds per request), alternating the two modes.
  const intervalMs = (concurrency / rate) * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, client) => {
      let next = performance.now() + (intervalMs * client) / concurrency;
      let stream = client % 2 === 1;
      while (performance.now() - started < durationMs) {
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
        next = Math.max(next + intervalMs, performance.now() - intervalMs);
        try {
          await send(stream);
          completed += 1;
        } catch (error) {
          failed += 1;
          lastError = error.message;
        }
        stream = !stream;
      }
    }),
  );
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  samples.push({ seconds: Math.round(seconds), memory: residentMb() });

  const services = Object.keys(samples[0].memory);
  const secondHalf = samples.filter((sample) => sample.seconds >= (durationMs / 1000) / 2);
  const summary = Object.fromEntries(
    services.map((name) => {
      const series = samples.map((sample) => sample.memory[name]).filter((mb) => mb !== null);
      return [
        name,
        {
          startMb: series[0],
          peakMb: Math.max(...series),
          endMb: series.at(-1),
          secondHalfMbPerHour: +slopeMbPerHour(secondHalf.filter((sample) => sample.memory[name] !== null).map((sample) => [sample.seconds, sample.memory[name]])).toFixed(1),
        },
      ];
    }),
  );
  return { minutes, rate, concurrency, completed, failed, lastError, requestsPerSecond: +(completed / seconds).toFixed(0), summary, samples };
}
